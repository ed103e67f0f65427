"""Realistic data at scale for benchmarks: ``flask bench seed --orders N``.

Builds, on top of the menu and the districts, units, requesters, volunteers
with profiles, a few coordinators and ``N`` orders spread over three years in
every state, each with the assignments, events, notifications and rating the
workflow would have written, so ``flask orders check`` stays clean.

Rows are written with SQLAlchemy Core ``insert()`` of lists of dicts in
chunks (one transaction per chunk), never as ORM objects one by one. Ids are
assigned here, in time order, so events of an order are in the order the
workflow writes them; PostgreSQL sequences are moved past them at the end.

Three accounts are created for the benchmark, all with ``BENCH_PASSWORD``:
``BENCH_ACCOUNTS`` maps role to phone. The bench requester places about 2 %
of all orders and the bench volunteer takes part in about 3 % of them, so
their lists are full at any size.
"""

from __future__ import annotations

import random
import secrets
import time as _time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import click
from flask.cli import AppGroup
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from app import workflow
from app.extensions import db
from app.models import (
    Assignment,
    HourEntry,
    Notification,
    Order,
    OrderEvent,
    Rating,
    Service,
    User,
    UserRole,
    VolunteerProfile,
    counters,
)
from app.models.base import utcnow
from app.models.users import ALL_WEEK, volunteer_categories, volunteer_districts, volunteer_services
from app.services import daily_figures
from app.services.notifications import RECIPIENTS
from app.services.reliability import lapse_of

BENCH_PASSWORD = "bench-2026"
BENCH_ACCOUNTS = {"requester": "13900000001", "volunteer": "13900000002", "coordinator": "13900000003"}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰飞鹏辉宇浩凯婷雪琳晨欣怡子轩"
UNIT_HEADS = ["北京亦庄", "经开区", "京东方", "亦城", "博大", "荣华", "天华", "同济", "科创", "凉水河"]
UNIT_KINDS = ["智造科技有限公司", "生物医药有限公司", "汽车零部件有限公司", "物流有限公司", "社区居委会",
              "实验学校", "街道工会", "医院", "电子有限公司", "新能源有限公司", "商贸中心", "党群服务中心"]
ROADS = ["荣华中路", "科创十三街", "宏达北路", "同济南路", "地盛西路", "经海三路", "天华园西路", "博兴六路"]
NOTES = ["", "", "", "请提前二十分钟到场", "会议室在三楼", "需要准备投影", "以一线职工为主", "午休时间进行"]
SUMMARIES = ["活动顺利完成,职工反响热烈", "按计划完成,现场互动良好", "完成服务,已拍照留存"]
COMMENTS = ["", "很好", "讲得生动,大家受益匪浅", "志愿者很专业", "希望下次再来", "准时到场,服务周到"]
REJECT_REASONS = ["out_of_scope", "no_volunteer", "duplicate", "info_incomplete"]
DECLINE_REASONS = ["schedule_changed", "not_my_skill", "too_far", "volunteer_unavailable", "other"]

# The share of orders that are still to be served (placed in the last two weeks).
UPCOMING_SHARE = 0.05
# Past orders by final state; the two "stuck" states form the overdue backlog.
PAST_STATES = [("rated", 62), ("completed", 14), ("cancelled", 11), ("rejected", 7),
               ("stuck_submitted", 3), ("stuck_dispatched", 3)]
UPCOMING_STATES = [("submitted", 38), ("dispatched", 30), ("accepted", 22), ("in_service", 2),
                   ("cancelled", 5), ("rejected", 3)]

bench_cli = AppGroup("bench", help="Benchmark data.")

# The tables written per order; on PostgreSQL, from this many orders on, their
# secondary indexes and foreign keys are dropped for the load and rebuilt after.
BULK_TABLES = (Order.__table__, Assignment.__table__, OrderEvent.__table__, Rating.__table__,
               Notification.__table__)
DROP_INDEXES_FROM = 50_000


@dataclass
class Sizes:
    orders: int
    requesters: int
    volunteers: int
    coordinators: int
    units: int

    @classmethod
    def for_orders(cls, n: int) -> Sizes:
        requesters = max(20, n // 40)
        return cls(
            orders=n,
            requesters=requesters,
            volunteers=max(30, n // 60),
            coordinators=3 + n // 200_000,
            units=max(10, requesters // 4),
        )


@dataclass
class Ids:
    """Next free id per table."""

    user: int
    profile: int
    order: int
    assignment: int
    event: int
    rating: int
    notification: int


@dataclass
class Batch:
    orders: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    ratings: list[dict] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    hours: list[dict] = field(default_factory=list)

    def rows(self) -> int:
        return sum(len(x) for x in (self.orders, self.assignments, self.events, self.ratings,
                                    self.notifications, self.hours))


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _insert(conn, table, rows: list[dict], chunk: int = 5000) -> None:
    """Insert ``rows`` (dicts with the same keys) in chunks; COPY on PostgreSQL.

    COPY is the same bulk insert done by the server's loader, several times
    faster than multi-row INSERTs through the driver.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        columns = list(rows[0])
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        return
    for i in range(0, len(rows), chunk):
        conn.execute(insert(table), rows[i:i + chunk])


class Generator:
    """Turns a seed and a size into rows; ``run`` writes them."""

    def __init__(self, sizes: Sizes, seed: int = 20260101, now: datetime | None = None,
                 chunk: int = 2000, echo=click.echo, fast_fk: bool = False):
        self.sizes = sizes
        self.fast_fk = fast_fk
        self.rnd = random.Random(seed)
        # Whether a notice was read draws from its own stream: who is told may change
        # without changing the stories themselves.
        self.read_rnd = random.Random(seed + 1)
        self.now = (now or utcnow()).replace(microsecond=0)
        self.chunk = chunk
        self.echo = echo
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    # --- reference data ------------------------------------------------------

    def _load_reference(self) -> None:
        self.services = [
            (s.id, s.category_id, s.default_volunteers, s.min_notice_days, s.duration_minutes,
             s.audience_limit)
            for s in db.session.scalars(select(Service).where(Service.status == "published"))
        ]
        if not self.services:
            raise click.ClickException("no menu: run `flask seed --no-demo` first")
        self.categories = sorted({s[1] for s in self.services})
        from app.models import District

        self.districts = list(db.session.scalars(select(District.id).order_by(District.position)))
        self.home_district = self.districts[-1]  # 经开区, the center's own
        if db.session.scalar(select(User.id).where(User.phone.in_(BENCH_ACCOUNTS.values()))):
            raise click.ClickException("benchmark data is already loaded; use a fresh database")
        self.ids = Ids(
            user=_next_id(User), profile=_next_id(VolunteerProfile), order=_next_id(Order),
            assignment=_next_id(Assignment), event=_next_id(OrderEvent), rating=_next_id(Rating),
            notification=_next_id(Notification),
        )

    def _name(self) -> str:
        r = self.rnd
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))

    # --- people ---------------------------------------------------------------

    def _people(self, conn) -> None:
        sz, r = self.sizes, self.rnd
        pw = generate_password_hash(BENCH_PASSWORD, method="scrypt")
        self.units = [f"{r.choice(UNIT_HEADS)}{i:03d}{r.choice(UNIT_KINDS)}" for i in range(sz.units)]
        created = self.now - timedelta(days=3 * 365 + 30)
        users, roles, profiles = [], [], []
        links = {"services": [], "categories": [], "districts": []}
        self.requesters: list[tuple[int, str, str, str]] = []  # id, name, phone, unit
        self.volunteers: list[int] = []
        self.coordinators: list[int] = []

        def user(phone: str, role: str, unit: str, district: int | None) -> tuple[int, str]:
            uid = self.ids.user
            self.ids.user += 1
            name = self._name()
            users.append(dict(id=uid, phone=phone, name=name, unit=unit, district_id=district,
                              password_hash=pw, active=True, session_token=secrets.token_urlsafe(24),
                              created_at=created + timedelta(minutes=uid)))
            roles.append(dict(user_id=uid, role=role))
            return uid, name

        for i in range(sz.requesters):
            phone = BENCH_ACCOUNTS["requester"] if i == 0 else f"137{i:08d}"
            unit = self.units[i % sz.units]
            district = self.home_district if r.random() < 0.6 else r.choice(self.districts)
            uid, name = user(phone, "requester", unit, district)
            self.requesters.append((uid, name, phone, unit))
        for i in range(sz.volunteers):
            phone = BENCH_ACCOUNTS["volunteer"] if i == 0 else f"136{i:08d}"
            uid, _ = user(phone, "volunteer", "经开区志愿服务队", self.home_district)
            status = "approved" if i == 0 or r.random() < 0.92 else r.choice(("pending", "suspended"))
            pid = self.ids.profile
            self.ids.profile += 1
            profiles.append(dict(id=pid, user_id=uid, status=status, team="经开区志愿服务队",
                                 bio="热心公益,服务职工", availability=ALL_WEEK if r.random() < 0.3
                                 else r.getrandbits(21)))
            for sid in r.sample([s[0] for s in self.services], r.randint(1, 3)):
                links["services"].append(dict(profile_id=pid, service_id=sid))
            for cid in r.sample(self.categories, r.randint(1, 2)):
                links["categories"].append(dict(profile_id=pid, category_id=cid))
            for did in {self.home_district, *r.sample(self.districts, r.randint(0, 2))}:
                links["districts"].append(dict(profile_id=pid, district_id=did))
            if status == "approved":
                self.volunteers.append(uid)
        for i in range(sz.coordinators):
            phone = BENCH_ACCOUNTS["coordinator"] if i == 0 else f"135{i:08d}"
            uid, _ = user(phone, "coordinator", "经开区新时代文明实践中心", self.home_district)
            self.coordinators.append(uid)

        _insert(conn, User.__table__, users)
        _insert(conn, UserRole.__table__, roles)
        _insert(conn, VolunteerProfile.__table__, profiles)
        _insert(conn, volunteer_services, links["services"])
        _insert(conn, volunteer_categories, links["categories"])
        _insert(conn, volunteer_districts, links["districts"])
        self.counts.update(users=len(users), volunteer_profiles=len(profiles))

    # --- one order ------------------------------------------------------------------

    def _state_for(self, upcoming: bool) -> str:
        table = UPCOMING_STATES if upcoming else PAST_STATES
        return self.rnd.choices([s for s, _ in table], weights=[w for _, w in table])[0]

    def _crew(self, k: int) -> list[int]:
        r = self.rnd
        k = min(k, len(self.volunteers))
        crew = r.sample(self.volunteers, k)
        bench = self.volunteers[0]
        if bench not in crew and r.random() < 0.03:
            crew[0] = bench
        return crew

    def _order(self, k: int, b: Batch) -> None:
        r, sz, now = self.rnd, self.sizes, self.now
        n_past = int(sz.orders * (1 - UPCOMING_SHARE))
        upcoming = k >= n_past
        service_id, _cat, needed, notice, minutes, limit = r.choice(self.services)
        needed = min(needed, len(self.volunteers))
        if upcoming:
            # placed in the last two weeks, served in the next weeks
            frac = (k - n_past + r.random()) / max(1, sz.orders - n_past)
            submitted = now - timedelta(days=15) + timedelta(days=14) * frac
            state = self._state_for(True)
            day = (now + timedelta(days=r.randint(max(notice, 1), 45))).date()
        else:
            span = timedelta(days=3 * 365 - 60)
            submitted = now - timedelta(days=3 * 365) + span * ((k + r.random()) / max(1, n_past))
            state = self._state_for(False)
            day = (submitted + timedelta(days=notice + r.randint(0, 14))).date()
        hour = r.choice((1, 2, 6, 7))  # 09:00, 10:00, 14:00, 15:00 in Beijing (UTC+8)
        starts = datetime(day.year, day.month, day.day, hour, tzinfo=submitted.tzinfo)
        if state == "in_service":
            starts = now - timedelta(minutes=30)
        ends = starts + timedelta(minutes=minutes)
        if r.random() < 0.02:
            requester = self.requesters[0]
        else:
            requester = self.requesters[r.randrange(len(self.requesters))]
        rid, rname, rphone, runit = requester
        oid = self.ids.order
        self.ids.order += 1
        row = dict(
            id=oid, service_id=service_id, requester_id=rid,
            district_id=self.home_district if r.random() < 0.6 else r.choice(self.districts),
            unit=runit, address=f"{r.choice(ROADS)}{r.randint(1, 200)}号", contact_name=rname,
            contact_phone=rphone, audience_size=r.randint(5, max(5, min(limit, 200))),
            note=r.choice(NOTES), starts_at=starts, ends_at=ends, needed=needed, accepted_count=0,
            state=state, form_token=None, submitted_at=submitted, dispatched_at=None,
            accepted_at=None, started_at=None, completed_at=None, rated_at=None, rejected_at=None,
            cancelled_at=None, overdue_at=None, updated_at=submitted,
        )
        OrderBuilder(self, b, row, rid, upcoming).build()
        b.orders.append(row)

    # --- writing -------------------------------------------------------------------------

    def _write(self, conn, b: Batch) -> None:
        _insert(conn, Order.__table__, b.orders)
        _insert(conn, Assignment.__table__, b.assignments)
        _insert(conn, OrderEvent.__table__, b.events)
        _insert(conn, Rating.__table__, b.ratings)
        _insert(conn, Notification.__table__, b.notifications)
        _insert(conn, HourEntry.__table__, b.hours)
        for name in ("orders", "assignments", "events", "ratings", "notifications"):
            self.counts[name] = self.counts.get(name, 0) + len(getattr(b, name))

    def _bulk_mode(self, conn) -> None:
        """On PostgreSQL: no wait for the WAL flush per chunk, no per-row FK triggers.

        The rows are consistent by construction (ids assigned here, parents
        written first) and ``flask orders check`` verifies them afterwards; a
        crash mid-load loses at most the last chunks of a throwaway data set.
        """
        if conn.dialect.name != "postgresql":
            return
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
        if self.fast_fk:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")

    def _drop_for_load(self, conn) -> list[str]:
        """On PostgreSQL: drop the bulk tables' foreign keys and secondary indexes.

        Returns the statements that put them back, built from the catalog's
        own definitions (``pg_get_constraintdef``, ``pg_get_indexdef``), so the
        schema afterwards is exactly the migrated one. Building an index once
        over the loaded table is much cheaper than maintaining it row by row,
        and the foreign keys are validated once, by one join each, when added
        back. Primary keys and unique constraints stay.
        """
        if conn.dialect.name != "postgresql":
            return []
        tables = [t.name for t in BULK_TABLES]
        fks = conn.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(:t)"
        ), {"t": tables}).all()
        indexes = conn.execute(text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(:t) AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ), {"t": tables}).all()
        for table, name, _ in fks:
            conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        return ([definition for _, definition in indexes]
                + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in fks])

    def _restore_after_load(self, statements: list[str]) -> None:
        if not statements:
            return
        with db.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            for sql in statements:
                conn.exec_driver_sql(sql)

    def _fix_sequences(self, conn) -> None:
        if conn.dialect.name != "postgresql":
            return
        for table in ("users", "volunteer_profiles", "orders", "assignments", "order_events", "ratings",
                      "notifications"):
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            conn.execute(text(f"ANALYZE {table}"))

    def run(self) -> None:
        t0 = _time.perf_counter()
        self._load_reference()
        db.session.rollback()
        engine = db.engine
        with engine.begin() as conn:
            self._people(conn)
        self.timings["people"] = _time.perf_counter() - t0
        t1 = _time.perf_counter()
        restore: list[str] = []
        if self.sizes.orders >= DROP_INDEXES_FROM:
            with engine.begin() as conn:
                restore = self._drop_for_load(conn)
        done = 0
        last_report = t1
        try:
            while done < self.sizes.orders:
                b = Batch()
                for k in range(done, min(done + self.chunk, self.sizes.orders)):
                    self._order(k, b)
                with engine.begin() as conn:
                    self._bulk_mode(conn)
                    self._write(conn, b)
                done += len(b.orders)
                if _time.perf_counter() - last_report > 10:
                    last_report = _time.perf_counter()
                    rate = done / (last_report - t1)
                    self.echo(f"  {done:,} orders ({rate:,.0f}/s)")
        finally:
            self.timings["orders"] = _time.perf_counter() - t1
            t2 = _time.perf_counter()
            self._restore_after_load(restore)
            self.timings["indexes"] = _time.perf_counter() - t2
        t2 = _time.perf_counter()
        with engine.begin() as conn:
            self._fix_sequences(conn)
            counters.recount(conn, self.now)  # every kept figure, from the rows just written
        settle_daily_figures(self.now)
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        self.timings["finish"] = _time.perf_counter() - t2
        self.timings["total"] = _time.perf_counter() - t0


def settle_daily_figures(now: datetime) -> int:
    """The dashboard's days as a sweep run a few minutes after the data's last change leaves them: its
    margin past, no day but today is counted from the orders (the state of a site whose sweep runs)."""
    last_change = db.session.scalar(select(func.max(Order.updated_at)))
    return daily_figures.rebuild(max(now, (last_change or now) + daily_figures.MARGIN))


class OrderBuilder:
    """The assignments, events, notifications and rating of one order, as the workflow writes them."""

    def __init__(self, gen: Generator, batch: Batch, row: dict, requester_id: int, upcoming: bool):
        self.g, self.b, self.o, self.rid, self.upcoming = gen, batch, row, requester_id, upcoming
        self.r = gen.rnd
        self.t = row["submitted_at"]
        self.assignments: list[dict] = []

    # -- primitives

    def tick(self, **delta) -> datetime:
        """Move the story's clock on, never past the present."""
        self.t = min(self.t + timedelta(**delta), self.g.now - timedelta(minutes=1))
        return self.t

    def event(self, action: str, entity: str, from_state: str | None, to_state: str, actor: int | None,
              assignment: dict | None = None, reason: str | None = None) -> None:
        g = self.g
        eid = g.ids.event
        g.ids.event += 1
        self.b.events.append(dict(
            id=eid, order_id=self.o["id"], assignment_id=assignment["id"] if assignment else None,
            actor_id=actor, action=action, entity=entity, from_state=from_state, to_state=to_state,
            reason_code=reason, note="", created_at=self.t,
        ))
        self.o["updated_at"] = self.t
        self.notify(eid, action, reason, actor, assignment)

    def notify(self, event_id: int, action: str, reason: str | None, actor: int | None,
               assignment: dict | None) -> None:
        wanted = RECIPIENTS.get(action, ())
        ids: set[int] = set()
        if "requester" in wanted:
            ids.add(self.rid)
        if "volunteer" in wanted and assignment is not None:
            ids.add(assignment["volunteer_id"])
        if "crew" in wanted:
            ids.update(a["volunteer_id"] for a in self.assignments if a["state"] == "completed")
        if "coordinators" in wanted:
            ids.update(self.g.coordinators)
        ids.discard(actor)
        kind = "offer_closed" if action == "withdraw" and reason == "slots_filled" else action
        recent = self.g.now - self.t < timedelta(days=7)
        for uid in sorted(ids):
            nid = self.g.ids.notification
            self.g.ids.notification += 1
            reads = self.g.read_rnd
            read = None if recent and reads.random() < 0.7 else self.t + timedelta(hours=reads.randint(1, 72))
            self.b.notifications.append(dict(id=nid, user_id=uid, order_id=self.o["id"], event_id=event_id,
                                             kind=kind, created_at=self.t, read_at=read))

    @staticmethod
    def _step(action: str, from_state: str | None) -> workflow.Transition:
        """The workflow's transition for ``action``, which must start where the story stands."""
        t = workflow.BY_ACTION[action]
        if (from_state or workflow.NEW) not in t.sources:
            raise ValueError(f"{action} from {from_state}: not a transition of the workflow")
        return t

    def order_to(self, action: str, actor: int | None, reason: str | None = None) -> None:
        from_state = self.order_state
        t = self._step(action, from_state)
        self.order_state = t.target
        for stamp in t.stamps:
            self.o[stamp] = self.t
        self.event(action, "order", from_state, t.target, actor, reason=reason)

    def slot_to(self, a: dict, action: str, actor: int | None, reason: str | None = None) -> None:
        from_state = a.get("state")
        t = self._step(action, from_state)
        a["state"] = t.target
        for stamp in t.stamps:
            a[stamp] = self.t
        a["updated_at"] = self.t
        a["lapse"] = lapse_of(action, from_state, self.t, self.o["starts_at"]) or a["lapse"]  # as the workflow notes it
        self.event(action, "assignment", from_state, t.target, actor, assignment=a, reason=reason)

    def offer(self, volunteer: int, coordinator: int) -> dict:
        g = self.g
        a = dict(id=g.ids.assignment, order_id=self.o["id"], volunteer_id=volunteer, state=None,
                 expires_at=self.t + timedelta(hours=24), responded_at=None,
                 checked_in_at=None, completed_at=None, ended_at=None, hours=None, summary="",
                 hours_credited=False, lapse=None)
        g.ids.assignment += 1
        self.assignments.append(a)
        self.slot_to(a, "offer", coordinator)
        return a

    # -- the stories

    def build(self) -> None:
        r, o = self.r, self.o
        coordinator = r.choice(self.g.coordinators)
        self.order_state = None
        state = o["state"]  # the story to tell
        self.order_to("submit", self.rid)
        if state == "submitted":
            pass
        elif state == "stuck_submitted":
            o["state"] = "submitted"
            o["overdue_at"] = o["submitted_at"] + timedelta(hours=24)
        elif state == "rejected":
            self.tick(hours=r.randint(1, 20))
            self.order_to("reject", coordinator, reason=r.choice(REJECT_REASONS))
        elif state == "cancelled" and r.random() < 0.6:
            self.tick(hours=r.randint(1, 48))
            self.order_to("cancel", self.rid, reason="requester_withdrew")
        else:
            self.crewed(state, coordinator)
        o["state"] = self.order_state  # where the workflow's steps led; the places held are recounted at the end
        self.b.assignments.extend(self.assignments)

    def crewed(self, state: str, coordinator: int) -> None:
        r, o, now = self.r, self.o, self.g.now
        needed = o["needed"]
        self.tick(hours=r.randint(1, 6))
        self.order_to("dispatch", coordinator)
        if state in ("dispatched", "stuck_dispatched"):
            if state == "dispatched":
                # offers made recently, still open
                self.t = max(self.t, now - timedelta(hours=r.randint(2, 12)))
            crew = self.g._crew(needed + (1 if r.random() < 0.3 else 0))
            offers = [self.offer(v, coordinator) for v in crew]
            if state == "stuck_dispatched":
                self.tick(hours=24)
                for a in offers:
                    self.slot_to(a, "expire", None)
                o["overdue_at"] = o["dispatched_at"] + timedelta(hours=24)
                return
            # some answered: fewer than needed accepted, perhaps one declined
            self.tick(minutes=r.randint(5, 90))
            accepting = r.randint(0, needed - 1)
            for a in offers[:accepting]:
                self.slot_to(a, "accept", a["volunteer_id"])
            rest = offers[accepting:]
            if len(rest) > 1 and r.random() < 0.3:
                a = rest[-1]
                self.slot_to(a, "decline", a["volunteer_id"], reason=r.choice(DECLINE_REASONS))
            return
        extra = 1 if r.random() < 0.3 else 0
        crew = self.g._crew(needed + extra)
        offers = [self.offer(v, coordinator) for v in crew]
        self.tick(hours=r.randint(1, 20))
        holders = offers[:needed]
        for a in holders:
            self.slot_to(a, "accept", a["volunteer_id"])
        self.order_to("fill", None)
        for a in offers[needed:]:
            self.slot_to(a, "withdraw", None, reason="slots_filled")
        if state == "accepted":
            return
        if state == "cancelled":
            self.tick(hours=r.randint(1, 48))
            by = self.rid if r.random() < 0.7 else coordinator
            reason = "requester_withdrew" if by == self.rid else "schedule_changed"
            self.order_to("cancel", by, reason=reason)
            for a in holders:
                self.slot_to(a, "withdraw", None, reason="order_closed")
            return
        self.t = o["starts_at"] - timedelta(minutes=10)
        for i, a in enumerate(holders):
            self.slot_to(a, "check_in", a["volunteer_id"])
            if i == 0:
                self.order_to("start", None)
        if state == "in_service":
            return
        self.t = o["ends_at"]
        hours = Decimal(max(1, round(o["ends_at"].timestamp() - o["starts_at"].timestamp()) // 1800)) / 2
        for a in holders:
            a["hours"] = min(hours, Decimal(24))
            a["summary"] = r.choice(SUMMARIES)
            self.slot_to(a, "complete", a["volunteer_id"])
        self.order_to("finish", None)
        if state == "completed":
            return
        self.tick(hours=r.randint(2, 96))
        g = self.g
        g_id = g.ids.rating
        g.ids.rating += 1
        self.b.ratings.append(dict(id=g_id, order_id=o["id"], stars=r.choices((5, 4, 3, 2, 1), (60, 25, 9, 4, 2))[0],
                                   comment=r.choice(COMMENTS), created_at=self.t))
        self.order_to("rate", self.rid)
        for a in holders:  # the crew's hours, into the ledger
            a["hours_credited"] = True
            self.b.hours.append(dict(volunteer_id=a["volunteer_id"], order_id=o["id"], assignment_id=a["id"],
                                     hours=a["hours"], source="service", actor_id=None, note="", created_at=self.t))


@bench_cli.command("seed")
@click.option("--orders", "n_orders", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="How many orders to generate.")
@click.option("--seed", "seed", type=int, default=20260101, show_default=True, help="Random seed.")
@click.option("--chunk", type=click.IntRange(min=100), default=2000, show_default=True,
              help="Orders per transaction.")
@click.option("--no-fk-checks", "fast_fk", is_flag=True,
              help="PostgreSQL: skip per-row foreign-key triggers while loading (needs a superuser).")
def seed_command(n_orders: int, seed: int, chunk: int, fast_fk: bool) -> None:
    """Load the menu and N orders of realistic data in bulk (on a fresh database)."""
    from app.seed import seed_all

    seed_all(demo=False)
    db.session.commit()
    gen = Generator(Sizes.for_orders(n_orders), seed=seed, chunk=chunk, fast_fk=fast_fk)
    gen.run()
    click.echo(", ".join(f"{k}: {v:,}" for k, v in gen.counts.items()))
    click.echo("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in gen.timings.items()))
    click.echo(f"accounts (password {BENCH_PASSWORD}): "
               + ", ".join(f"{k} {v}" for k, v in BENCH_ACCOUNTS.items()))


@bench_cli.command("settle")
def settle_command() -> None:
    """Bring the dashboard's daily figures up to date, as the sweep would (a database seeded earlier)."""
    click.echo(f"days counted: {settle_daily_figures(utcnow())}")
