"""Placing, dispatching and closing orders; the scoped queries that list them.

Every state change is one ``workflow.apply`` call; these functions add the
rules around it (minimum notice, who is eligible) and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, bindparam, case, func, or_, select, tuple_, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from .. import workflow
from ..extensions import db, read_rows
from ..models import (
    Assignment,
    Category,
    District,
    Order,
    OrderEvent,
    Rating,
    Service,
    User,
    VolunteerProfile,
)
from ..models.base import utcnow
from ..models.expressions import in_constants
from ..models.orders import (
    ACTIVE_ASSIGNMENT_STATES,
    HOLDING_ASSIGNMENT_STATES,
    AssignmentState,
    OrderState,
    order_number,
)
from .errors import ValidationFailed

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass
class OrderRequest:
    """What a requester asks for; built from the order form."""

    service_id: int
    service_date: date
    start_time: time
    end_time: time
    district_id: int
    address: str
    contact_name: str
    contact_phone: str
    audience_size: int
    unit: str
    note: str = ""
    form_token: str | None = None


def beijing_to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BEIJING).astimezone(ZoneInfo("UTC"))


def earliest_service_date(service: Service, today: date | None = None) -> date:
    today = today or utcnow().astimezone(BEIJING).date()
    return today + timedelta(days=service.min_notice_days)


def find_by_form_token(requester: User, token: str | None) -> Order | None:
    if not token:
        return None
    return db.session.scalar(
        select(Order).where(Order.form_token == token, Order.requester_id == requester.id)
    )


def place_order(requester: User, req: OrderRequest) -> Order:
    """Create an order in ``submitted`` for ``requester``.

    Raises ``ValidationFailed`` for a rule the form cannot check alone.
    """
    service = db.session.get(Service, req.service_id)
    if service is None or not service.is_orderable:
        raise ValidationFailed("service_id", _l("This service is not on the menu."))
    if db.session.get(District, req.district_id) is None:
        raise ValidationFailed("district_id", _l("Choose a district."))
    earliest = earliest_service_date(service)
    if req.service_date < earliest:
        raise ValidationFailed(
            "service_date",
            _l("This service needs %(days)s days' notice: the earliest date is %(date)s.",
               days=service.min_notice_days, date=earliest.isoformat()),
        )
    if req.end_time <= req.start_time:
        raise ValidationFailed("end_time", _l("The end must be after the start."))
    if req.audience_size > service.audience_limit:
        raise ValidationFailed(
            "audience_size",
            _l("At most %(n)s people for this service.", n=service.audience_limit),
        )
    order = Order(
        service_id=service.id,
        requester_id=requester.id,
        district_id=req.district_id,
        unit=req.unit.strip(),
        address=req.address.strip(),
        contact_name=req.contact_name.strip(),
        contact_phone=req.contact_phone.strip(),
        audience_size=req.audience_size,
        note=req.note.strip(),
        starts_at=beijing_to_utc(req.service_date, req.start_time),
        ends_at=beijing_to_utc(req.service_date, req.end_time),
        needed=service.default_volunteers,
        accepted_count=0,
        form_token=req.form_token,
    )
    order.service = service
    workflow.apply(order, "submit", requester)
    return order


def place_order_once(requester: User, req: OrderRequest) -> tuple[int, bool]:
    """Place the order unless this form was already submitted.

    Returns ``(order_id, created)``. A second POST of the same form, even a
    concurrent one, finds the first order instead of creating another.
    Commits, because the unique token is only decisive at commit time. The
    id is read before the commit: nothing after it touches the database, so
    a connection lost right after a successful commit cannot turn a saved
    order into an error page.
    """
    existing = find_by_form_token(requester, req.form_token)
    if existing is not None:
        return existing.id, False
    try:
        order_id = place_order(requester, req).id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = find_by_form_token(requester, req.form_token)
        if existing is None:
            raise
        return existing.id, False
    return order_id, True


# --- coordinator ----------------------------------------------------------------


def dispatch_order(order: Order, volunteers: list[User], actor: User) -> list[Assignment]:
    """Offer ``order`` to ``volunteers``; the first dispatch moves it to ``dispatched``.

    Volunteers who already hold a live slot on the order are skipped.
    """
    if not volunteers:
        raise ValidationFailed("volunteer_ids", _l("Choose at least one volunteer."))
    if order.state == OrderState.SUBMITTED.value:
        workflow.apply(order, "dispatch", actor)
    elif not workflow.can(order, "dispatch", actor) and order.state != OrderState.DISPATCHED.value:
        raise workflow.IllegalTransition(_l("This order cannot be dispatched now."))
    live = {
        a.volunteer_id for a in order.assignments if a.state in ACTIVE_ASSIGNMENT_STATES
    }
    offered = []
    expires = utcnow() + timedelta(hours=_offer_hours())
    for volunteer in volunteers:
        if volunteer.id in live:
            continue
        if not volunteer.has_role("volunteer"):
            raise ValidationFailed("volunteer_ids", _l("Only volunteers can be offered an order."))
        assignment = Assignment(order=order, volunteer=volunteer, expires_at=expires)
        workflow.apply(assignment, "offer", actor)
        offered.append(assignment)
    return offered


def dispatch_to_top(order: Order, actor: User) -> list[Assignment]:
    """Offer ``order`` to as many top-ranked volunteers as it is short of.

    Raises ``ValidationFailed`` when nobody eligible is free, and the
    workflow's errors when the order cannot be dispatched now.
    """
    from . import matching

    wanted = max(order.needed - order.accepted_count - len(order.open_offers), 1)
    volunteers = matching.top(order, wanted)
    if not volunteers:
        raise ValidationFailed("volunteer_ids", _l("No eligible volunteer is free for this order."))
    return dispatch_order(order, volunteers, actor)


CREW_STATES = (OrderState.SUBMITTED.value, OrderState.DISPATCHED.value)
MAX_CREW = 20


def change_needed(order: Order, needed: int, actor: User) -> None:
    """Set how many volunteers ``order`` needs (a coordinator's decision).

    The number is data, not state; but when lowering it fills a dispatched
    order, the order becomes ``accepted`` through the workflow and the offers
    still open are withdrawn. Raises ``ValidationFailed`` for a number out of
    range or below the volunteers already accepted, ``NotPermitted`` for a
    non-coordinator and ``IllegalTransition`` in any other state.
    """
    if not (actor.is_active and actor.has_role("coordinator")):
        raise workflow.NotPermitted(_l("You may not do this."))
    if not 1 <= needed <= MAX_CREW:
        raise ValidationFailed("needed", _l("Between 1 and %(n)s volunteers.", n=MAX_CREW))
    # A conditional UPDATE: a volunteer accepting at the same moment either
    # lands first (and is counted here) or waits for this row and sees the new number.
    result = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.state.in_(CREW_STATES), Order.accepted_count <= needed)
        .values(needed=needed)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order, ["needed", "accepted_count", "state"])
    if result.rowcount != 1:
        if order.state not in CREW_STATES:
            raise workflow.IllegalTransition(_l("The crew can only change before the order is filled."))
        raise ValidationFailed(
            "needed",
            _l("%(n)s volunteers have accepted already; withdraw one first.", n=order.accepted_count),
        )
    if order.state == OrderState.DISPATCHED.value and order.accepted_count >= order.needed:
        workflow.apply(order, "fill", workflow.SYSTEM)
        for offer in db.session.scalars(
            select(Assignment).where(
                Assignment.order_id == order.id, Assignment.state == AssignmentState.OFFERED.value
            ).order_by(Assignment.id)
        ).all():
            workflow.apply(offer, "withdraw", workflow.SYSTEM, reason_code="slots_filled")


@dataclass
class BulkResult:
    done: list[Order]
    failed: list[tuple[Order, str]]


def bulk_apply(orders: list[Order], step, *args) -> BulkResult:
    """Run ``step(order, *args)`` for each order, each in its own savepoint.

    One order that cannot be handled (dispatched meanwhile, nobody free)
    does not undo the others; its message is collected instead.
    """
    result = BulkResult([], [])
    for order in orders:
        savepoint = db.session.begin_nested()
        try:
            step(order, *args)
            savepoint.commit()
            result.done.append(order)
        except (workflow.WorkflowError, ValidationFailed, IntegrityError) as err:
            savepoint.rollback()
            result.failed.append((order, str(getattr(err, "message", err))))
    return result


def reject_order(order: Order, actor: User, reason_code: str, note: str = "") -> None:
    workflow.apply(order, "reject", actor, reason_code=reason_code, note=note)


def orders_for_coordinator(order_ids: list[int]) -> list[Order]:
    """The orders picked in the queue, in the queue's order."""
    if not order_ids:
        return []
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.id.in_(order_ids))
            .options(joinedload(Order.service), selectinload(Order.assignments))
            .order_by(Order.starts_at, Order.submitted_at, Order.id)
        )
    )


def _offer_hours() -> int:
    from .settings import current_settings

    return current_settings().offer_deadline_hours


def rate_order(order: Order, actor: User, stars: int, comment: str) -> Rating:
    """Record the requester's rating; the workflow then credits the crew's hours."""
    if not 1 <= stars <= 5:
        raise ValidationFailed("stars", _l("Give 1 to 5 stars."))
    if not workflow.can(order, "rate", actor):
        # Let apply raise the precise error before anything is written.
        workflow.apply(order, "rate", actor)
    rating = Rating(order_id=order.id, stars=stars, comment=comment.strip())
    db.session.add(rating)
    workflow.apply(order, "rate", actor)
    return rating


# --- queries, always scoped to who asks -------------------------------------------------


def _order_page_options(of_requester: bool) -> tuple:
    service = joinedload(Order.service)
    options = (
        joinedload(Order.district),
        joinedload(Order.rating),
        # A few assignments at most: joined in the same statement as the order.
        joinedload(Order.assignments).joinedload(Assignment.volunteer).lazyload(User.role_rows),
        # The timeline is read as plain rows (``timeline``): no events loaded here.
    )
    if of_requester:  # acting as the requester (cancel, rate) needs neither the category nor the requester
        return (service, *options)
    # Other people's roles are not shown: do not load them with each person.
    return (service.joinedload(Service.category), joinedload(Order.requester).lazyload(User.role_rows), *options)


# The statements of the hot pages are built once, with parameters: SQLAlchemy
# then finds their compiled form without rebuilding and re-keying them per request.


@cache
def _order_page_query(of_requester: bool) -> Select:
    query = select(Order).where(Order.id == bindparam("order_id")).options(*_order_page_options(of_requester))
    return query.where(Order.requester_id == bindparam("user_id")) if of_requester else query


class TimelineEvent(NamedTuple):
    """An event as the timeline shows it; events never change once written."""

    id: int
    entity: str
    action: str
    to_state: str
    created_at: datetime
    actor_name: str | None  # None: the system
    volunteer_name: str | None  # whom it concerned, when not the actor
    reason_code: str | None
    note: str


@cache
def _timeline_query() -> Select:
    actor = aliased(User)
    volunteer = aliased(User)
    concerned = case(
        (and_(Assignment.volunteer_id.is_not(None),
              or_(OrderEvent.actor_id.is_(None), OrderEvent.actor_id != Assignment.volunteer_id)),
         volunteer.name),
        else_=None,
    )
    return (
        select(OrderEvent.id, OrderEvent.entity, OrderEvent.action, OrderEvent.to_state, OrderEvent.created_at,
               actor.name, concerned, OrderEvent.reason_code, OrderEvent.note)
        .outerjoin(actor, actor.id == OrderEvent.actor_id)
        .outerjoin(Assignment, Assignment.id == OrderEvent.assignment_id)
        .outerjoin(volunteer, volunteer.id == Assignment.volunteer_id)
        .where(OrderEvent.order_id == bindparam("order_id"))
        .order_by(OrderEvent.id)
    )


def timeline(order_id: int) -> tuple[TimelineEvent, ...]:
    """The order's events, oldest first, as plain rows (the caller has checked access)."""
    return tuple(TimelineEvent(*row) for row in read_rows(_timeline_query(), {"order_id": order_id}))


def order_for_requester(order_id: int, user: User) -> Order | None:
    """The requester's own order as a model, to act on (cancel, rate)."""
    params = {"order_id": order_id, "user_id": user.id}
    return db.session.execute(_order_page_query(True), params).unique().scalar_one_or_none()


class Named(NamedTuple):
    name: str


class RatingShown(NamedTuple):
    stars: int
    comment: str


class CrewMember(NamedTuple):
    """A volunteer holding a slot, as the requester sees them: name, phone and state."""

    name: str
    phone: str
    state: str


class RequesterOrderPage(NamedTuple):
    """The requester's order page as plain values.

    Named like the order's attributes, so the shared macros read it as they
    read an ``Order``, and ``workflow.can`` checks it as the order (``entity``).
    """

    id: int
    state: str
    requester_id: int
    submitted_at: datetime
    starts_at: datetime
    ends_at: datetime
    unit: str
    address: str
    contact_name: str
    contact_phone: str
    audience_size: int
    needed: int
    accepted_count: int
    note: str
    service: Named
    district: Named
    rating: RatingShown | None
    crew: tuple[CrewMember, ...]  # the volunteers holding a slot, in the order they were offered it

    entity = "order"

    @property
    def number(self) -> str:
        return order_number(self.submitted_at, self.id)


@cache
def _requester_order_page_query() -> Select:
    volunteer = aliased(User)
    holds_slot = and_(Assignment.order_id == Order.id, in_constants(Assignment.state, HOLDING_ASSIGNMENT_STATES))
    return (
        select(
            Order.id, Order.state, Order.requester_id, Order.submitted_at, Order.starts_at, Order.ends_at,
            Order.unit, Order.address, Order.contact_name, Order.contact_phone, Order.audience_size,
            Order.needed, Order.accepted_count, Order.note, Service.name, District.name,
            Rating.stars, Rating.comment, volunteer.name, volunteer.phone, Assignment.state,
        )
        .join(Service, Service.id == Order.service_id)
        .join(District, District.id == Order.district_id)
        .outerjoin(Rating, Rating.order_id == Order.id)
        .outerjoin(Assignment, holds_slot)
        .outerjoin(volunteer, volunteer.id == Assignment.volunteer_id)
        .where(Order.id == bindparam("order_id"), Order.requester_id == bindparam("user_id"))
        .order_by(Assignment.id)
    )


def order_page_of_requester(order_id: int, user: User) -> RequesterOrderPage | None:
    """The requester's own order, to show: one statement, a row per volunteer holding a slot."""
    rows = read_rows(_requester_order_page_query(), {"order_id": order_id, "user_id": user.id}).all()
    if not rows:
        return None
    *order, service, district, stars, comment, _name, _phone, _state = rows[0]
    crew = tuple(CrewMember(name, phone, state) for *_, name, phone, state in rows if state is not None)
    rating = RatingShown(stars, comment) if stars is not None else None
    return RequesterOrderPage(*order, Named(service), Named(district), rating, crew)


def order_for_coordinator(order_id: int) -> Order | None:
    return db.session.execute(_order_page_query(False), {"order_id": order_id}).unique().scalar_one_or_none()


def assignment_for_volunteer(assignment_id: int, user: User) -> Assignment | None:
    return db.session.scalar(
        select(Assignment)
        .where(Assignment.id == assignment_id, Assignment.volunteer_id == user.id)
        .options(
            joinedload(Assignment.order).options(
                joinedload(Order.service), joinedload(Order.district), joinedload(Order.rating)
            )
        )
    )


MY_ORDERS_PAGE = 20


class MyOrder(NamedTuple):
    """An order as the requester's list shows it."""

    id: int
    state: str
    starts_at: datetime
    submitted_at: datetime
    service_name: str
    district_name: str

    @property
    def number(self) -> str:
        return order_number(self.submitted_at, self.id)


@cache
def _my_orders_query(after_mark: bool) -> Select:
    query = (
        select(Order.id, Order.state, Order.starts_at, Order.submitted_at, Service.name, District.name)
        .join(Service, Service.id == Order.service_id)
        .join(District, District.id == Order.district_id)
        .where(Order.requester_id == bindparam("user_id"))
    )
    if after_mark:
        before = bindparam("before")
        mark = (
            select(Order.submitted_at)
            .where(Order.id == before, Order.requester_id == bindparam("user_id"))
            .scalar_subquery()
        )
        query = query.where(
            or_(mark.is_(None), Order.submitted_at < mark, and_(Order.submitted_at == mark, Order.id < before))
        )
    return query.order_by(Order.submitted_at.desc(), Order.id.desc()).limit(bindparam("limit"))


def orders_of_requester(user: User, limit: int = MY_ORDERS_PAGE, before: int | None = None) -> list[MyOrder]:
    """The requester's orders, newest first, one page of ``limit``.

    ``before`` is the id of the last order of the previous page: the page goes
    on from there (keyset paging on ``ix_orders_requester_recent``, so page 50
    costs what page 1 costs). An id that is not the user's gives the first page.
    """
    params = {"user_id": user.id, "limit": limit, "before": before}
    rows = read_rows(_my_orders_query(before is not None), params)
    return [MyOrder(*row) for row in rows]


JOB_GROUPS = {
    "offers": (AssignmentState.OFFERED.value,),
    "upcoming": (AssignmentState.ACCEPTED.value, AssignmentState.CHECKED_IN.value),
    "done": (AssignmentState.COMPLETED.value,),
}


GROUP_OF_STATE = {state: key for key, states in JOB_GROUPS.items() for state in states}

JOBS_SHOWN, DONE_SHOWN = 20, 10  # cards on 我的任务 in all, and of them finished ones at most


@cache
def _jobs_query(limit: int, done: int) -> Select:
    open_states = [*JOB_GROUPS["offers"], *JOB_GROUPS["upcoming"]]
    done_last = case((Assignment.state == AssignmentState.COMPLETED.value, 1), else_=0)

    def newest(states, n: int):
        return (
            select(Assignment.id)
            .where(Assignment.volunteer_id == bindparam("volunteer_id"), in_constants(Assignment.state, states))
            .order_by(Assignment.id.desc())
            .limit(n)
            .subquery()
        )

    # The newest ``limit`` open and ``done`` finished ones, each a short walk of
    # ix_assignments_volunteer_state_id, whatever the length of the history.
    picked = [newest(open_states, limit), newest(JOB_GROUPS["done"], done)]
    # The hours credited over the volunteer's whole record ride along with each job.
    hours = (
        select(VolunteerProfile.hours_credited)
        .where(VolunteerProfile.user_id == bindparam("volunteer_id"))
        .scalar_subquery()
    )
    return (
        select(
            Assignment.id, Assignment.state, Assignment.volunteer_id, Assignment.expires_at,
            Order.id, Order.state, Order.requester_id, Order.starts_at, Order.ends_at,
            Service.name, District.name, hours,
        )
        .join(Order, Order.id == Assignment.order_id)
        .join(Service, Service.id == Order.service_id)
        .join(District, District.id == Order.district_id)
        .where(Assignment.id.in_(union_all(*(select(p.c.id) for p in picked))))
        .order_by(done_last, Assignment.id.desc())
        .limit(limit)
    )


class JobOrder(NamedTuple):
    """What a job's card and the workflow's checks read of its order."""

    id: int
    state: str
    requester_id: int
    starts_at: datetime
    ends_at: datetime


class VolunteerJob(NamedTuple):
    """A job on 我的任务 as plain values: what its card shows and what ``workflow.can`` reads."""

    id: int
    state: str
    volunteer_id: int
    expires_at: datetime | None
    order: JobOrder
    service_name: str
    district_name: str


class VolunteerJobs(NamedTuple):
    groups: dict[str, list[VolunteerJob]]  # offers, upcoming, done
    hours: Decimal  # credited over the whole record


def jobs_of_volunteer(user: User, limit: int = JOBS_SHOWN, done: int = DONE_SHOWN) -> VolunteerJobs:
    """The volunteer's jobs grouped as offers, upcoming and done, and the hours credited.

    Open ones (offers, upcoming) come first, then the ``done`` most recent
    finished ones, ``limit`` in all: a volunteer with years of service still
    gets a short page (the hours credited over all of them sit on top).
    """
    rows = read_rows(_jobs_query(limit, min(done, limit)), {"volunteer_id": user.id}).all()
    grouped: dict[str, list[VolunteerJob]] = {k: [] for k in JOB_GROUPS}
    for a_id, a_state, volunteer_id, expires_at, *order, service_name, district_name, _hours in rows:
        job = VolunteerJob(a_id, a_state, volunteer_id, expires_at, JobOrder(*order), service_name, district_name)
        if a_state in GROUP_OF_STATE:
            grouped[GROUP_OF_STATE[a_state]].append(job)
    grouped["offers"].sort(key=lambda j: j.order.starts_at)
    grouped["upcoming"].sort(key=lambda j: j.order.starts_at)
    hours = Decimal(rows[0][-1] or 0) if rows else credited_hours(user)
    return VolunteerJobs(grouped, hours)


@cache
def _credited_hours_query() -> Select:
    # Kept on the profile by the workflow when an order is rated.
    return select(VolunteerProfile.hours_credited).where(VolunteerProfile.user_id == bindparam("volunteer_id"))


def credited_hours(user: User) -> Decimal:
    total = db.session.scalar(_credited_hours_query(), {"volunteer_id": user.id})
    return Decimal(total or 0)


@dataclass
class QueueFilter:
    state: str | None = None
    category_id: int | None = None
    service_id: int | None = None
    district_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue_only: bool = False
    q: str = ""


QUEUE_STATES = (OrderState.SUBMITTED.value, OrderState.DISPATCHED.value)


def open_offers_column():
    """A correlated count of an order's unanswered offers, computed by the database."""
    return (
        select(func.count(Assignment.id))
        .where(Assignment.order_id == Order.id, Assignment.state == AssignmentState.OFFERED.value)
        .correlate(Order)
        .scalar_subquery()
    )


def parse_order_number(term: str) -> int | None:
    """The order id inside a number people quote: yymmdd + the id (at least 5 digits)."""
    if term.isdigit() and len(term) >= 11:
        return int(term[6:])
    return None


class QueueShape(NamedTuple):
    """Which conditions a queue page has: one statement is built and kept per shape."""

    state: str | None
    service: bool
    category: bool
    district: bool
    date_from: bool
    date_to: bool
    overdue_only: bool
    term: bool
    number: bool
    direction: str | None  # "after", "before" or None (the first page)


def _like_term(term: str) -> str:
    """``term`` as a LIKE pattern that matches it anywhere, its wildcards taken literally."""
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _queue_shape_and_params(f: QueueFilter, position: tuple | None, direction: str | None) -> tuple[QueueShape, dict]:
    term = (f.q or "").strip()
    number = parse_order_number(term) if term else None
    params: dict = {
        "service_id": f.service_id, "category_id": f.category_id, "district_id": f.district_id,
        "starts_from": beijing_to_utc(f.date_from, time(0)) if f.date_from else None,
        "starts_before": beijing_to_utc(f.date_to + timedelta(days=1), time(0)) if f.date_to else None,
        "term": _like_term(term) if term else None, "number": number,
    }
    if position is not None:
        params.update(zip(("key_starts", "key_submitted", "key_id"), position, strict=True))
    shape = QueueShape(
        f.state if f.state in QUEUE_STATES else None, bool(f.service_id), bool(f.category_id),
        bool(f.district_id), bool(f.date_from), bool(f.date_to), bool(f.overdue_only), bool(term),
        number is not None, direction,
    )
    return shape, params


@cache
def _queue_statement(shape: QueueShape, limit: int) -> Select:
    """Orders that need a hand (submitted, or dispatched with a shortfall), one page, as plain rows.

    The shortfall (needed - accepted - open offers) is computed in SQL. The
    page's orders are picked from the orders table alone, an ordered walk of
    the open-orders index that stops after a page, then joined to the names
    they show.
    """
    offered = open_offers_column()
    needs_hand = or_(
        Order.state == OrderState.SUBMITTED.value,
        and_(Order.state == OrderState.DISPATCHED.value, Order.needed - Order.accepted_count - offered > 0),
    )
    # The redundant state list, written into the SQL as literals, lets SQLite see
    # that the partial indexes on open orders apply (it cannot from bound
    # parameters; PostgreSQL proves it either way).
    picked = select(
        Order.id, Order.state, Order.starts_at, Order.ends_at, Order.submitted_at, Order.overdue_at,
        Order.unit, Order.audience_size, Order.needed, Order.accepted_count,
        Order.service_id, Order.district_id, Order.requester_id, offered.label("offered"),
    ).where(in_constants(Order.state, QUEUE_STATES), needs_hand)
    if shape.state:
        picked = picked.where(Order.state == shape.state)
    if shape.service:
        picked = picked.where(Order.service_id == bindparam("service_id"))
    if shape.category:
        picked = picked.where(
            Order.service_id.in_(select(Service.id).where(Service.category_id == bindparam("category_id")))
        )
    if shape.district:
        picked = picked.where(Order.district_id == bindparam("district_id"))
    if shape.date_from:
        picked = picked.where(Order.starts_at >= bindparam("starts_from", type_=Order.starts_at.type))
    if shape.date_to:
        picked = picked.where(Order.starts_at < bindparam("starts_before", type_=Order.starts_at.type))
    if shape.overdue_only:
        picked = picked.where(Order.overdue_at.is_not(None))
    if shape.term:
        conditions = [
            Order.unit.like(bindparam("term"), escape="/"),
            Order.requester_id.in_(select(User.id).where(User.name.like(bindparam("term"), escape="/"))),
        ]
        if shape.number:
            conditions.append(Order.id == bindparam("number"))
        picked = picked.where(or_(*conditions))
    key = tuple_(Order.starts_at, Order.submitted_at, Order.id)
    position = tuple_(bindparam("key_starts", type_=Order.starts_at.type),
                      bindparam("key_submitted", type_=Order.submitted_at.type), bindparam("key_id"))
    if shape.direction == "after":
        picked = picked.where(key > position)
    elif shape.direction == "before":
        picked = picked.where(key < position)
    backwards = shape.direction == "before"
    ordering = (Order.starts_at, Order.submitted_at, Order.id)
    page = picked.order_by(*(c.desc() for c in ordering) if backwards else ordering).limit(limit).subquery()
    outer_ordering = (page.c.starts_at, page.c.submitted_at, page.c.id)
    return (
        select(
            page.c.id, page.c.state, page.c.starts_at, page.c.ends_at, page.c.submitted_at, page.c.overdue_at,
            page.c.unit, page.c.audience_size, page.c.needed, page.c.accepted_count,
            Service.name, District.name, User.name, page.c.offered,
        )
        .join(Service, Service.id == page.c.service_id)
        .join(District, District.id == page.c.district_id)
        .join(User, User.id == page.c.requester_id)
        .order_by(*(c.desc() for c in outer_ordering) if backwards else outer_ordering)
    )


class QueueOrder(NamedTuple):
    """An order as a queue row shows it."""

    id: int
    state: str
    starts_at: datetime
    ends_at: datetime
    submitted_at: datetime
    overdue_at: datetime | None
    unit: str
    audience_size: int
    needed: int
    accepted_count: int
    service_name: str
    district_name: str
    requester_name: str

    @property
    def number(self) -> str:
        return order_number(self.submitted_at, self.id)


@dataclass
class QueueRow:
    order: QueueOrder
    offered: int

    @property
    def shortfall(self) -> int:
        return self.order.needed - self.order.accepted_count - self.offered


@dataclass
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None  # the page after this one, or None at the end
    prev_cursor: str | None  # the page before this one, or None at the start


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _cursor_of(order: Order) -> str:
    # Whole microseconds, not float seconds: the next page starts exactly after this row.
    starts = (order.starts_at - _EPOCH) // _MICROSECOND
    submitted = (order.submitted_at - _EPOCH) // _MICROSECOND
    return f"{starts}-{submitted}-{order.id}"


def _parse_cursor(cursor: str | None) -> tuple[datetime, datetime, int] | None:
    try:
        starts, submitted, order_id = (int(part) for part in (cursor or "").split("-"))
        return _EPOCH + starts * _MICROSECOND, _EPOCH + submitted * _MICROSECOND, order_id
    except (ValueError, OverflowError):
        return None


def dispatch_queue(
    f: QueueFilter, after: str | None = None, before: str | None = None, per_page: int = 50
) -> QueuePage:
    """One page of the queue, most urgent first: earliest service, then longest waiting.

    Keyset paging on (starts_at, submitted_at, id): a page costs the same at
    row 10 or row 100,000, and no COUNT runs over the table. ``after`` and
    ``before`` are cursors from a previous page; a malformed cursor means the
    first page.
    """
    direction = None
    if (position := _parse_cursor(after)) is not None:
        direction = "after"
    elif (position := _parse_cursor(before)) is not None:
        direction = "before"
    shape, params = _queue_shape_and_params(f, position, direction)
    found = [
        QueueRow(QueueOrder(*row[:-1]), row[-1])
        for row in read_rows(_queue_statement(shape, per_page + 1), params)
    ]
    backwards = direction == "before"
    more = len(found) > per_page
    rows = found[:per_page]
    if backwards:
        rows.reverse()
        next_cursor = _cursor_of(rows[-1].order) if rows else None
        prev_cursor = _cursor_of(rows[0].order) if more else None
    else:
        next_cursor = _cursor_of(rows[-1].order) if more else None
        prev_cursor = _cursor_of(rows[0].order) if rows and position is not None else None
    return QueuePage(rows, next_cursor, prev_cursor)


def menu() -> list[Category]:
    return list(
        db.session.scalars(
            select(Category).options(selectinload(Category.services)).order_by(Category.position)
        )
    )
