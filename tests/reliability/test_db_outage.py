"""R9: the database going away mid-request gives the app's 503 page, never a bare 500.

When PostgreSQL restarts under load, a request can lose its connection in the
middle: the query fails, then the rollback in the error handler fails on the
same dead connection, then ``session.remove()`` in the app context's teardown
fails again. An exception escaping a handler or a teardown reaches gunicorn,
which answers its own bare "Internal Server Error". These tests run against
the real database and make only the dead connection's symptoms up: every
statement, rollback and close raises ``OperationalError`` while "down".
On PostgreSQL one more test kills the request's real backend mid-request.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.extensions import db as _db
from app.models import Order, User
from tests.conftest import IS_PG, _csrf_from, order_request, service_named
from tests.state_machine.test_transitions_exhaustive import _localized

UNAVAILABLE = "The service is briefly unavailable. Try again shortly."


def _dead(what: str) -> OperationalError:
    return OperationalError(what, {}, psycopg.OperationalError("server closed the connection unexpectedly"))


@pytest.fixture
def production_errors(app) -> Iterator[None]:
    """Unhandled errors become error pages, as under gunicorn (not re-raised into the test)."""
    old = app.config["PROPAGATE_EXCEPTIONS"]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = old


@pytest.fixture
def outage(db, monkeypatch) -> Iterator[dict]:
    """``outage["statements"] = True`` etc.: which operations fail as on a dead connection."""
    state = {"statements": False, "rollback": False, "close": False, "attempts": 0}

    def fail_statement(conn, cursor, statement, *args):
        if state["statements"]:
            state["attempts"] += 1
            raise _dead(statement)

    real_rollback, real_close = Session.rollback, Session.close

    def rollback(self):
        if state["rollback"]:
            raise _dead("ROLLBACK")
        return real_rollback(self)

    def close(self):
        if state["close"]:
            raise _dead("ROLLBACK")  # close() rolls the connection back first
        return real_close(self)

    monkeypatch.setattr(Session, "rollback", rollback)
    monkeypatch.setattr(Session, "close", close)
    event.listen(_db.engine, "before_cursor_execute", fail_statement)
    yield state
    state.update(statements=False, rollback=False, close=False)
    event.remove(_db.engine, "before_cursor_execute", fail_statement)


def _assert_503_page(response) -> None:
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 503, (response.status_code, body[:500])
    assert 'data-testid="error-message"' in body, body[:500]
    assert any(m in body for m in _localized(UNAVAILABLE)), body[:500]
    for leak in ("Traceback", "OperationalError", "psycopg", "ROLLBACK", "SELECT "):
        assert leak not in body, leak
    assert response.headers.get("Cache-Control") == "no-store"


@pytest.mark.parametrize("url", ["/", "/my/orders", "/my/orders/new/1"])
def test_database_lost_mid_request_gives_the_503_page(login_as, outage, production_errors, url):
    requester = login_as("requester")
    assert requester.get(url).status_code == 200

    outage.update(statements=True, rollback=True, close=True)
    response = requester.get(url)  # an exception here is what gunicorn turns into a bare 500
    _assert_503_page(response)
    assert outage["attempts"] >= 1, "the request did not reach the database"

    outage.update(statements=False, rollback=False, close=False)
    assert requester.get(url).status_code == 200, "the next request on the same worker must succeed"


def test_a_post_losing_the_database_gives_the_503_page(db, login_as, outage, production_errors):
    requester = login_as("requester")
    page = requester.get("/my/orders/new/1").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page)
    form = order_request(service_named("交通安全法规宣讲"))
    data = {
        "csrf_token": _csrf_from(page), "form_token": token.group(1) if token else "",
        "service_date": form.service_date.isoformat(), "start_time": "09:00", "end_time": "10:30",
        "district_id": str(form.district_id), "address": form.address, "unit": form.unit,
        "contact_name": form.contact_name, "contact_phone": form.contact_phone, "audience_size": "30", "note": "",
    }
    orders = db.session.scalar(select(func.count()).select_from(Order))

    outage.update(statements=True, rollback=True, close=True)
    _assert_503_page(requester.post("/my/orders/new/1", data=data))
    outage.update(statements=False, rollback=False, close=False)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Order)) == orders

    retried = requester.post("/my/orders/new/1", data=data)  # the same form, as a client retrying
    assert retried.status_code == 303, retried.get_data(as_text=True)[:500]


def test_the_error_page_itself_does_not_touch_the_database(login_as, outage, production_errors):
    """After the first failed statement, the 503 page is rendered without another query."""
    requester = login_as("requester")
    outage.update(statements=True, rollback=True, close=True)
    _assert_503_page(requester.get("/my/orders"))
    assert outage["attempts"] == 1, f"{outage['attempts']} statements tried while the database was down"


def test_a_failing_close_after_a_good_page_keeps_the_page(login_as, outage, production_errors):
    """The page was built; only closing its session fails in the teardown: the page still goes out."""
    requester = login_as("requester")
    outage.update(close=True)
    response = requester.get("/my/orders")
    assert response.status_code == 200
    outage.update(close=False)
    assert requester.get("/my/orders").status_code == 200


@pytest.mark.pg
@pytest.mark.skipif(not IS_PG, reason="needs PostgreSQL")
def test_a_killed_backend_mid_request_gives_the_503_page(app, db, login_as, production_errors):
    """PostgreSQL: the request's own server process is terminated just before its second query."""
    requester = login_as("requester")
    assert requester.get("/my/orders").status_code == 200
    state = {"seen": 0, "killed": 0}

    def kill_own_backend(conn, cursor, statement, *args):
        state["seen"] += 1
        if state["seen"] == 2 and not state["killed"]:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with _db.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()
            state["killed"] = pid

    event.listen(_db.engine, "before_cursor_execute", kill_own_backend)
    try:
        response = requester.get("/my/orders")
    finally:
        event.remove(_db.engine, "before_cursor_execute", kill_own_backend)
    assert state["killed"], "no backend was terminated"
    _assert_503_page(response)
    assert requester.get("/my/orders").status_code == 200
    assert db.session.scalar(select(User.id).limit(1)) is not None
