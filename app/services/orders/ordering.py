"""The requester's side of an order: placing it, rating it, and the scoped reads of their orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, Select, and_, bindparam, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, with_expression

from ... import workflow
from ...dates import BEIJING
from ...extensions import db, read_rows
from ...models import Assignment, District, Order, Rating, Service, User
from ...models.base import utcnow
from ...models.orders import OrderState
from .. import feedback
from ..errors import ValidationFailed


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


def districts_offered(service: Service, every: tuple[tuple[int, str], ...]) -> tuple[tuple[int, str], ...]:
    """Of ``every`` (id, name) district, the ones ``service`` is offered in (all when it names none)."""
    offered = {d.id for d in service.districts}
    return tuple(pair for pair in every if not offered or pair[0] in offered)


def find_by_form_token(requester: User, token: str | None) -> Order | None:
    if not token:
        return None
    return db.session.scalar(
        select(Order).where(Order.form_token == token, Order.requester_id == requester.id)
    )


def rule_errors(
    service: Service,
    *,
    service_date: date | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    district_id: int | None = None,
    audience_size: int | None = None,
) -> list[tuple[str, object]]:
    """Every rule of ``service`` the values break, as (field, message); a value left None is not checked.

    The order form shows them all at once, beside their fields, with what the
    form itself found.
    """
    errors: list[tuple[str, object]] = []
    if district_id is not None and db.session.get(District, district_id) is None:
        errors.append(("district_id", _l("Choose a district.")))
    elif district_id is not None and service.districts and district_id not in {d.id for d in service.districts}:
        errors.append(("district_id", _l("This service is offered in %(districts)s only.",
                                         districts="、".join(d.name for d in service.districts))))
    earliest = earliest_service_date(service)
    if service_date is not None and service_date < earliest:
        errors.append((
            "service_date",
            _l("This service needs %(days)s days' notice: the earliest date is %(date)s.",
               days=service.min_notice_days, date=earliest.isoformat()),
        ))
    if start_time is not None and end_time is not None:
        errors += _window_errors(service, start_time, end_time)
    if audience_size is not None and audience_size > service.audience_limit:
        errors.append(("audience_size", _l("At most %(n)s people for this service.", n=service.audience_limit)))
    return errors


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _window_errors(service: Service, start: time, end: time) -> list[tuple[str, object]]:
    """The window's own rules: after its start, within the service's hours of day and duration range."""
    errors: list[tuple[str, object]] = []
    if service.earliest_start is not None and start < service.earliest_start:
        errors.append(("start_time", _l("This service starts at %(t)s at the earliest.",
                                        t=service.earliest_start.strftime("%H:%M"))))
    if end <= start:
        errors.append(("end_time", _l("The end must be after the start.")))
        return errors
    if service.latest_end is not None and end > service.latest_end:
        errors.append(("end_time", _l("This service ends by %(t)s at the latest.",
                                      t=service.latest_end.strftime("%H:%M"))))
    length = _minutes(end) - _minutes(start)
    low, high = service.min_duration_minutes, service.max_duration_minutes
    if (low is not None and length < low) or (high is not None and length > high):
        errors.append(("end_time", _l("This service lasts %(low)s to %(high)s minutes.",
                                      low=low or 0, high=high or 24 * 60)))
    return errors


def _check_request(service: Service | None, req: OrderRequest, one_off: bool = False) -> Service:
    if service is None or not (service.is_orderable or (one_off and service.one_off)):
        raise ValidationFailed("service_id", _l("This service is not on the menu."))
    errors = rule_errors(
        service, service_date=req.service_date, start_time=req.start_time, end_time=req.end_time,
        district_id=req.district_id, audience_size=req.audience_size,
    )
    if errors:
        raise ValidationFailed.of(errors)
    return service


def place_order(requester: User, req: OrderRequest, one_off: bool = False) -> Order:
    """Create an order in ``submitted`` for ``requester`` (``one_off``: of the one-off service the center made
    for their 心愿, which no form on the menu offers).

    Raises ``ValidationFailed`` for a rule the form cannot check alone.
    """
    service = _check_request(db.session.get(Service, req.service_id), req, one_off)
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


# The same requester, service, day and hours again within this time asks "order again?".
DUPLICATE_WITHIN = timedelta(minutes=30)
_SETTLED_AGAINST = (OrderState.REJECTED.value, OrderState.CANCELLED.value)


def recent_duplicate(requester: User, req: OrderRequest) -> Order | None:
    """The requester's live order of the same service, day and hours placed a short while ago, if any.

    Not the order this very form placed: sending the same form again is
    answered with that order (``place_order_once``), not with a question.
    """
    same_form = Order.form_token == req.form_token if req.form_token else false()
    return db.session.scalar(
        select(Order)
        .where(
            Order.requester_id == requester.id,
            Order.service_id == req.service_id,
            Order.starts_at == beijing_to_utc(req.service_date, req.start_time),
            Order.ends_at == beijing_to_utc(req.service_date, req.end_time),
            Order.state.not_in(_SETTLED_AGAINST),
            Order.submitted_at >= utcnow() - DUPLICATE_WITHIN,
            ~same_form,
        )
        .order_by(Order.id.desc())
        .limit(1)
    )


# --- reads, scoped to the requester ---------------------------------------------------


@cache
def _requester_order_query() -> Select:
    # One statement: the order, its service, district and rating, and its few
    # assignments with their volunteers (whose roles are not shown: not loaded).
    return (
        select(Order)
        .where(Order.id == bindparam("order_id"), Order.requester_id == bindparam("user_id"))
        .options(
            with_expression(Order.feedback_count, feedback.count_column(Order.id)),
            with_expression(Order.feedback_average, feedback.average_column(Order.id)),
            joinedload(Order.service),
            joinedload(Order.district),
            joinedload(Order.rating),
            joinedload(Order.assignments).joinedload(Assignment.volunteer).lazyload(User.role_rows),
        )
    )


def order_for_requester(order_id: int, user: User) -> Order | None:
    """The requester's own order, to show and to act on (cancel, rate); None when not theirs."""
    params = {"order_id": order_id, "user_id": user.id}
    return db.session.execute(_requester_order_query(), params).unique().scalar_one_or_none()


MY_ORDERS_PAGE = 20


@cache
def _my_orders_query(after_mark: bool) -> Select:
    query = (
        select(Order.id, Order.state, Order.starts_at, Order.submitted_at,
               Service.name.label("service_name"), District.name.label("district_name"))
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


def orders_of_requester(user: User, limit: int = MY_ORDERS_PAGE, before: int | None = None) -> list[Row]:
    """The requester's orders, newest first, one page of ``limit`` rows
    (id, state, starts_at, submitted_at, service_name, district_name).

    ``before`` is the id of the last order of the previous page: the page goes
    on from there (keyset paging on ``ix_orders_requester_recent``, so page 50
    costs what page 1 costs). An id that is not the user's gives the first page.
    """
    params = {"user_id": user.id, "limit": limit, "before": before}
    return list(read_rows(_my_orders_query(before is not None), params))

