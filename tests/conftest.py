"""Shared fixtures: a real database (SQLite file or PostgreSQL), the seed, users, orders.

The database is chosen by ``TEST_DATABASE_URL``:
- unset: a SQLite *file* in a temporary folder (never in-memory: races need
  real connections);
- ``postgresql+psycopg://.../<name>``: the server is used to CREATE a fresh
  database for this run (per xdist worker), which is dropped at the end.

The schema is built by the migrations, once per run. Tests commit for real;
after each test the order tables are emptied and extra users removed.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, time, timedelta

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from freezegun import freeze_time
from sqlalchemy import delete, event, select, update
from sqlalchemy.engine import make_url

from app import create_app, workflow
from app.extensions import db as _db
from app.models import (
    Assignment,
    AttendeeFeedback,
    AuditEntry,
    Category,
    CompletionPhoto,
    DailyFigure,
    DailyFiguresRebuilt,
    ExportJob,
    HourCorrection,
    HourEntry,
    Notification,
    Order,
    OrderEvent,
    OutboxMessage,
    Rating,
    Service,
    ServiceCertificate,
    Setting,
    SlaEvent,
    User,
    UserRole,
    VolunteerAway,
    VolunteerProfile,
    VolunteerReview,
    Wish,
    counters,
)
from app.models.base import utcnow
from app.models.menu import service_districts
from app.models.teams import Team, team_members, team_services
from app.models.users import volunteer_categories, volunteer_districts, volunteer_services
from app.seed import DEMO_PASSWORD, seed_all
from app.services import orders as order_service
from app.services import reference

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IS_PG = PG_URL.startswith("postgresql")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "pg: needs PostgreSQL (TEST_DATABASE_URL)")
    config.addinivalue_line("markers", "e2e: browser test in Debian's chromium")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="no PostgreSQL at TEST_DATABASE_URL: this test needs one")
    for item in items:
        if "pg" in item.keywords and not IS_PG:
            item.add_marker(skip_pg)


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + make_url(PG_URL).render_as_string() if IS_PG else 'SQLite file'}"


# --- the database of this run ---------------------------------------------------


def _create_pg_database(worker_id: str) -> tuple[str, Callable[[], None]]:
    import psycopg

    url = make_url(PG_URL)
    name = f"vs_test_{os.getpid()}_{worker_id}_{uuid.uuid4().hex[:6]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> Iterator[str]:
    if IS_PG:
        url, drop = _create_pg_database(worker_id)
        yield url
        drop()
    else:
        path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session")
def worker_id() -> str:  # replaced by pytest-xdist's fixture when it runs
    return "main"


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    Without this, requests reuse the test's app context and share ``g``
    (and so the logged-in user) and the database session between clients.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app("test", {"SQLALCHEMY_DATABASE_URI": database_url,
                              "PHOTO_DIR": str(tmp_path_factory.mktemp("photos"))})
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
        seed_all()
        _db.session.commit()
        app.config["SEED_MAX_USER_ID"] = _db.session.scalar(select(User.id).order_by(User.id.desc()))
        app.config["SEED_MENU"] = _menu_rows()
        _db.session.remove()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _menu_rows() -> dict[type, dict[int, dict]]:
    """The menu's categories and services as rows, by id."""
    return {model: {row["id"]: dict(row) for row in _db.session.execute(select(model.__table__)).mappings()}
            for model in (Category, Service)}


def _restore_menu(seeded: dict[type, dict[int, dict]]) -> None:
    """The menu as seeded: what the back office's tests added goes, what they changed comes back."""
    now = _menu_rows()
    for model in (Service, Category):
        extra = set(now[model]) - set(seeded[model])
        if extra:
            _db.session.execute(delete(model).where(model.id.in_(extra)))
        for key, row in seeded[model].items():
            if now[model].get(key) != row:
                _db.session.execute(update(model.__table__).where(model.__table__.c.id == key).values(**row))


def _clean(app) -> None:
    seed_max = app.config["SEED_MAX_USER_ID"]
    extra_users = select(User.id).where(User.id > seed_max)
    extra_profiles = select(VolunteerProfile.id).where(VolunteerProfile.user_id.in_(extra_users))
    for stmt in (
        delete(ExportJob),
        delete(SlaEvent),
        delete(DailyFigure),
        delete(DailyFiguresRebuilt),
        delete(CompletionPhoto),
        delete(OutboxMessage),
        delete(HourCorrection),
        delete(AttendeeFeedback),
        delete(ServiceCertificate),
        delete(Wish),
        delete(VolunteerReview),
        delete(team_members),
        delete(team_services),
        delete(service_districts),
        delete(Team),
        delete(AuditEntry),
        delete(Setting),
        delete(Notification),
        delete(HourEntry),
        delete(OrderEvent),
        delete(Rating),
        delete(Assignment),
        delete(Order),
        delete(VolunteerAway),
        delete(volunteer_services).where(volunteer_services.c.profile_id.in_(extra_profiles)),
        delete(volunteer_categories).where(volunteer_categories.c.profile_id.in_(extra_profiles)),
        delete(volunteer_districts).where(volunteer_districts.c.profile_id.in_(extra_profiles)),
        delete(VolunteerProfile).where(VolunteerProfile.user_id.in_(extra_users)),
        delete(UserRole).where(UserRole.user_id.in_(extra_users)),
        delete(User).where(User.id > seed_max),
        update(User).values(active=True, sms_opt_in=True, start_page=None, email=None, email_opt_in=False),
        update(VolunteerProfile).values(status="approved", rejected_at=None),  # the seed's volunteers
    ):
        _db.session.execute(stmt)
    _restore_menu(app.config["SEED_MENU"])
    counters.recount(_db.session)  # the ratings and jobs are gone: so are the figures kept from them
    _db.session.commit()
    reference.forget()  # services and settings were reset with plain SQL: the kept copies are not told


@pytest.fixture
def db(app) -> Iterator:
    """An app context and the session; tables are cleaned afterwards."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        _clean(app)
        _db.session.remove()


@pytest.fixture
def client(app, db):
    return app.test_client()


# --- people -----------------------------------------------------------------------


@pytest.fixture
def users(db) -> dict[str, User]:
    """The seeded demo accounts by role name."""
    by_phone = {u.phone: u for u in db.session.scalars(select(User))}
    return {
        "requester": by_phone["13800000001"],
        "volunteer": by_phone["13800000002"],
        "coordinator": by_phone["13800000003"],
        "admin": by_phone["13800000009"],
        "volunteer2": by_phone["13800000004"],  # also a requester
        "volunteer3": by_phone["13800000005"],
        "volunteer4": by_phone["13800000006"],
    }


def login(client, phone: str, password: str = DEMO_PASSWORD):
    """Log in through the real form (with its CSRF token)."""
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"phone": phone, "password": password, "csrf_token": token})


def _csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client, url: str = "/") -> str:
    return _csrf_from(client.get(url).get_data(as_text=True))


@pytest.fixture
def login_as(app, users) -> Callable:
    def _login_as(role: str):
        c = app.test_client()
        response = login(c, users[role].phone)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return c

    return _login_as


def make_user(phone: str, name: str, roles: list[str], approved: bool = True) -> User:
    user = User(phone=phone, name=name, unit="测试单位", district_id=1)
    user.set_password(DEMO_PASSWORD)
    user.set_roles(roles)
    _db.session.add(user)
    if "volunteer" in roles:
        _db.session.add(VolunteerProfile(user=user, status="approved" if approved else "pending"))
    _db.session.flush()
    return user


# --- orders in any state -------------------------------------------------------------


def service_named(name: str) -> Service:
    return _db.session.scalar(select(Service).where(Service.name == name))


def order_request(service: Service, **overrides) -> order_service.OrderRequest:
    values = dict(
        service_id=service.id,
        service_date=date.today() + timedelta(days=service.min_notice_days + 2),
        start_time=time(9, 0),
        end_time=time(11, 0),
        district_id=17,
        address="荣华中路10号",
        contact_name="张明",
        contact_phone="13800000001",
        audience_size=30,
        unit="北京亦庄智造科技有限公司",
        note="",
        form_token=None,
    )
    values.update(overrides)
    return order_service.OrderRequest(**values)


def service_under_way(order: Order) -> None:
    """Arrange an accepted order's day to have come: its window (its length kept) ends now.

    Orders are placed days ahead; a test that checks in and closes a job through
    pages signed in now needs the service to have happened. Only the window moves.
    """
    length = order.ends_at - order.starts_at
    ends = utcnow().replace(microsecond=0)
    _db.session.execute(update(Order).where(Order.id == order.id).values(starts_at=ends - length, ends_at=ends))
    _db.session.refresh(order)


def check_in_at_the_start(order: Order, slots) -> None:
    """The service under way; its crew checked in at its start (then a check-out now records the window)."""
    service_under_way(order)
    with freeze_time(order.starts_at):
        for a in slots:
            workflow.apply(a, "check_in", a.volunteer)


ORDER_PATH = ["submitted", "dispatched", "accepted", "in_service", "completed", "rated"]
# The states past the main path, and where on it they branch off.
ENDS_FROM = {"confirmed": "completed", "disputed": "rated", "resolved": "rated"}


@pytest.fixture
def make_order(db, users) -> Callable[..., Order]:
    """Build an order and drive it through the workflow to ``state``.

    ``needed`` sets the crew size; the first ``needed`` volunteers fill it.
    """

    made: list[Order] = []

    def _make(state: str = "submitted", needed: int = 1, service: str = "交通安全法规宣讲",
              requester: str = "requester", start_offset_days: int = 0) -> Order:
        svc = service_named(service)
        # Each order on a day of its own: one volunteer cannot hold two jobs at the same time.
        day = date.today() + timedelta(days=svc.min_notice_days + 2 + start_offset_days + len(made))
        req = order_request(svc, service_date=day)
        order = order_service.place_order(users[requester], req)
        if needed != order.needed:
            _db.session.execute(update(Order).where(Order.id == order.id).values(needed=needed))
            _db.session.refresh(order)
        coordinator = users["coordinator"]
        crew = [users[k] for k in ("volunteer", "volunteer3", "volunteer4", "volunteer2")][:needed]
        if state in ("rejected",):
            workflow.apply(order, "reject", coordinator, reason_code="out_of_scope")
        elif state == "cancelled":
            workflow.apply(order, "cancel", users[requester], reason_code="requester_withdrew")
        elif state != "submitted":
            slots = order_service.dispatch_order(order, crew, coordinator)
            target = ORDER_PATH.index(ENDS_FROM.get(state, state))
            if target >= ORDER_PATH.index("accepted"):
                for a in slots:
                    workflow.apply(a, "accept", a.volunteer)
            if target >= ORDER_PATH.index("in_service"):
                check_in_at_the_start(order, slots)
            if target >= ORDER_PATH.index("completed"):
                for a in slots:
                    workflow.apply(a, "complete", a.volunteer, hours="2", summary="顺利完成")
            if target >= ORDER_PATH.index("rated"):
                order_service.rate_order(order, users[requester], 5, "很好")
            if state == "confirmed":  # nobody rated it: the sweep confirms it after the days allowed
                with freeze_time(workflow.confirm_due_at(order)):
                    workflow.apply(order, "confirm", workflow.SYSTEM)
            if state in ("disputed", "resolved"):  # the requester reports a problem after rating
                workflow.apply(order, "dispute", users[requester], reason_code="quality")
            if state == "resolved":
                workflow.apply(order, "resolve", coordinator, reason_code="credit", note="核实无误")
        _db.session.commit()
        assert order.state == state
        made.append(order)
        return order

    return _make


# --- measuring ----------------------------------------------------------------------------


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.parameters: list[object] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def recording_statements() -> Iterator[QueryCounter]:
    """The SQL statements sent while in the block, with their parameters (transaction bookkeeping left out)."""
    counter = QueryCounter()

    def _listener(conn, cursor, statement, parameters, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
            counter.statements.append(statement)
            counter.parameters.append(parameters)

    event.listen(_db.engine, "before_cursor_execute", _listener)
    try:
        yield counter
    finally:
        event.remove(_db.engine, "before_cursor_execute", _listener)


def plan_of(statement: str, parameters) -> str:
    """The database's plan for a recorded statement, one step a part: PostgreSQL's EXPLAIN, SQLite's
    EXPLAIN QUERY PLAN (plan tests assert the indexes named in it)."""
    raw = _db.session.connection().connection.driver_connection
    if IS_PG:
        return " | ".join(row[0].strip() for row in raw.execute("EXPLAIN " + statement, parameters))
    return " | ".join(row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters))


@pytest.fixture
def count_queries(db):
    """``with count_queries() as q: ...`` then ``q.count`` SQL statements."""
    return recording_statements


def run_concurrently(app, n: int, fn: Callable[[int], object]) -> list[object]:
    """Run ``fn(i)`` in ``n`` threads released together, each in its own app context.

    Returns each thread's result, or the exception it raised.
    """
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def worker(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[i] = fn(i)
            except Exception as exc:  # collected and asserted by the test
                _db.session.rollback()
                results[i] = exc
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# --- browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 390, "height": 844}}


@pytest.fixture(scope="session")
def base_url():  # shadows pytest-playwright's deprecated fallback fixture
    return None


@pytest.fixture
def live_url(app, db) -> Iterator[str]:
    """The app served by a threaded server on a free port (port 0)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@contextmanager
def templates_rendered(app) -> Iterator[list[str]]:
    """The names of the templates rendered inside the block, in order."""
    from flask import template_rendered

    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    try:
        yield names
    finally:
        template_rendered.disconnect(record, app)
