"""Placing, dispatching and closing orders; the scoped queries that list them.

Every state change is one ``workflow.apply`` call; these functions add the
rules around it (minimum notice, who is eligible) and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import workflow
from ..extensions import db
from ..models import (
    Assignment,
    Category,
    District,
    Order,
    OrderEvent,
    Rating,
    Service,
    User,
)
from ..models.base import utcnow
from ..models.orders import ACTIVE_ASSIGNMENT_STATES, AssignmentState, OrderState
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


def place_order_once(requester: User, req: OrderRequest) -> tuple[Order, bool]:
    """Place the order unless this form was already submitted.

    Returns ``(order, created)``. A second POST of the same form, even a
    concurrent one, finds the first order instead of creating another.
    Commits, because the unique token is only decisive at commit time.
    """
    existing = find_by_form_token(requester, req.form_token)
    if existing is not None:
        return existing, False
    try:
        order = place_order(requester, req)
        order_id = order.id
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        existing = find_by_form_token(requester, req.form_token)
        if existing is None:
            raise
        return existing, False
    return db.session.get(Order, order_id), True


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


def _offer_hours() -> int:
    from flask import current_app

    return int(current_app.config.get("OFFER_DEADLINE_HOURS", 24))


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


def _order_page_options():
    return (
        joinedload(Order.service).joinedload(Service.category),
        joinedload(Order.district),
        # Other people's roles are not shown: do not load them with each person.
        joinedload(Order.requester).lazyload(User.role_rows),
        joinedload(Order.rating),
        selectinload(Order.assignments).joinedload(Assignment.volunteer).lazyload(User.role_rows),
        selectinload(Order.events).joinedload(OrderEvent.actor).lazyload(User.role_rows),
    )


def order_for_requester(order_id: int, user: User) -> Order | None:
    return db.session.scalar(
        select(Order)
        .where(Order.id == order_id, Order.requester_id == user.id)
        .options(*_order_page_options())
    )


def order_for_coordinator(order_id: int) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.id == order_id).options(*_order_page_options())
    )


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


def orders_of_requester(user: User, limit: int = 100) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.requester_id == user.id)
            .options(joinedload(Order.service), joinedload(Order.district))
            .order_by(Order.submitted_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )


JOB_GROUPS = {
    "offers": (AssignmentState.OFFERED.value,),
    "upcoming": (AssignmentState.ACCEPTED.value, AssignmentState.CHECKED_IN.value),
    "done": (AssignmentState.COMPLETED.value,),
}


def jobs_of_volunteer(user: User, limit: int = 100) -> dict[str, list[Assignment]]:
    """The volunteer's assignments grouped as offers, upcoming and done."""
    states = [s for group in JOB_GROUPS.values() for s in group]
    rows = db.session.scalars(
        select(Assignment)
        .where(Assignment.volunteer_id == user.id, Assignment.state.in_(states))
        .options(
            joinedload(Assignment.order).options(
                joinedload(Order.service), joinedload(Order.district)
            )
        )
        .order_by(Assignment.id.desc())
        .limit(limit)
    )
    grouped: dict[str, list[Assignment]] = {k: [] for k in JOB_GROUPS}
    for a in rows:
        for key, group in JOB_GROUPS.items():
            if a.state in group:
                grouped[key].append(a)
    grouped["offers"].sort(key=lambda a: a.order.starts_at)
    grouped["upcoming"].sort(key=lambda a: a.order.starts_at)
    return grouped


def credited_hours(user: User) -> Decimal:
    total = db.session.scalar(
        select(func.coalesce(func.sum(Assignment.hours), 0)).where(
            Assignment.volunteer_id == user.id, Assignment.hours_credited.is_(True)
        )
    )
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


def queue_query(f: QueueFilter) -> Select:
    """Orders that need a hand: submitted, or dispatched with a shortfall."""
    needs_hand = or_(
        Order.state == OrderState.SUBMITTED.value,
        (Order.state == OrderState.DISPATCHED.value),
    )
    query = select(Order).where(needs_hand)
    if f.state in (OrderState.SUBMITTED.value, OrderState.DISPATCHED.value):
        query = query.where(Order.state == f.state)
    if f.service_id:
        query = query.where(Order.service_id == f.service_id)
    if f.category_id:
        query = query.where(
            Order.service_id.in_(select(Service.id).where(Service.category_id == f.category_id))
        )
    if f.district_id:
        query = query.where(Order.district_id == f.district_id)
    if f.date_from:
        query = query.where(Order.starts_at >= beijing_to_utc(f.date_from, time(0)))
    if f.date_to:
        query = query.where(Order.starts_at < beijing_to_utc(f.date_to + timedelta(days=1), time(0)))
    if f.overdue_only:
        query = query.where(Order.overdue_at.is_not(None))
    if f.q:
        term = f.q.strip()
        conditions = [Order.unit.contains(term, autoescape=True)]
        conditions.append(
            Order.requester_id.in_(select(User.id).where(User.name.contains(term, autoescape=True)))
        )
        if term.isdigit() and len(term) > 6:
            conditions.append(Order.id == int(term[6:]))
        query = query.where(or_(*conditions))
    return query


def dispatch_queue(f: QueueFilter, page: int = 1, per_page: int = 50) -> tuple[list[Order], bool]:
    """One page of the queue, most urgent first; returns (orders, has_more)."""
    page = max(1, min(page, 200))
    rows = list(
        db.session.scalars(
            queue_query(f)
            .options(
                joinedload(Order.service),
                joinedload(Order.district),
                selectinload(Order.assignments),
            )
            .order_by(Order.starts_at, Order.submitted_at, Order.id)
            .offset((page - 1) * per_page)
            .limit(per_page + 1)
        )
    )
    return rows[:per_page], len(rows) > per_page


def menu() -> list[Category]:
    return list(
        db.session.scalars(
            select(Category).options(selectinload(Category.services)).order_by(Category.position)
        )
    )
