"""The dispatch queue: the orders that need a hand, most urgent first, one keyset page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, case, func, or_, select, tuple_
from sqlalchemy.orm import aliased

from ... import workflow
from ...extensions import read_rows
from ...models import Assignment, District, Order, Service, User
from ...models.expressions import beijing_day_code, in_constants
from ...models.orders import AssignmentState, OrderState
from .ordering import beijing_to_utc


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


# The orders that still take offers, written into the SQL as literals in the order
# of the partial indexes' definition (see ``_queue_statement``).
QUEUE_STATES = (OrderState.SUBMITTED.value, OrderState.DISPATCHED.value)
assert set(QUEUE_STATES) == workflow.OFFERABLE_STATES, "the queue lists the orders that take offers"


def open_offers_column():
    """A correlated count of an order's unanswered offers, computed by the database."""
    return (
        select(func.count(Assignment.id))
        .where(Assignment.order_id == Order.id, Assignment.state == AssignmentState.OFFERED.value)
        .correlate(Order)
        .scalar_subquery()
    )


def twin_column(order_id, requester_id, service_id, starts_at):
    """SQL: the id of another live order of the same requester, service and (Beijing) day, or None:
    a likely duplicate, flagged for the desk to look at before dispatching both."""
    twin = aliased(Order)
    return (
        select(func.min(twin.id))
        .where(twin.requester_id == requester_id, twin.service_id == service_id, twin.id != order_id,
               beijing_day_code(twin.starts_at) == beijing_day_code(starts_at),
               in_constants(twin.state, LIVE_STATES))
        .scalar_subquery()
    )


# Orders still meant to happen (not rejected or cancelled): what a duplicate is a duplicate of.
LIVE_STATES = tuple(s.value for s in OrderState if s not in (OrderState.REJECTED, OrderState.CANCELLED))


def parse_order_number(term: str) -> int | None:
    """The order id inside a number people quote: yymmdd + the id (at least 5 digits)."""
    if term.isdigit() and len(term) >= 11:
        return int(term[6:])
    return None


@dataclass(frozen=True)
class QueueShape:
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


def like_term(term: str) -> str:
    """``term`` as a LIKE pattern that matches it anywhere, its wildcards taken literally."""
    return "%" + term.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _queue_shape_and_params(f: QueueFilter, position: tuple | None, direction: str | None) -> tuple[QueueShape, dict]:
    term = (f.q or "").strip()
    number = parse_order_number(term) if term else None
    params: dict = {
        "service_id": f.service_id, "category_id": f.category_id, "district_id": f.district_id,
        "starts_from": beijing_to_utc(f.date_from, time(0)) if f.date_from else None,
        "starts_before": beijing_to_utc(f.date_to + timedelta(days=1), time(0)) if f.date_to else None,
        "term": like_term(term) if term else None, "number": number,
    }
    if position is not None:
        params.update(zip(("key_starts", "key_submitted", "key_id"), position, strict=True))
    shape = QueueShape(
        f.state if f.state in QUEUE_STATES else None, bool(f.service_id), bool(f.category_id),
        bool(f.district_id), bool(f.date_from), bool(f.date_to), bool(f.overdue_only), bool(term),
        number is not None, direction,
    )
    return shape, params


def filter_conditions(shape) -> list[ColumnElement[bool]]:
    """The conditions a list's filter bar puts on the orders (the queue's and the history's), with
    parameters named after the fields: ``shape`` says which are set (``service``, ``category``,
    ``district``, ``date_from``, ``date_to``, ``overdue_only``, ``term`` and ``number``)."""
    found: list[ColumnElement[bool]] = []
    if shape.service:
        found.append(Order.service_id == bindparam("service_id"))
    if shape.category:
        found.append(Order.service_id.in_(select(Service.id).where(Service.category_id == bindparam("category_id"))))
    if shape.district:
        found.append(Order.district_id == bindparam("district_id"))
    if shape.date_from:
        found.append(Order.starts_at >= bindparam("starts_from", type_=Order.starts_at.type))
    if shape.date_to:
        found.append(Order.starts_at < bindparam("starts_before", type_=Order.starts_at.type))
    if shape.overdue_only:
        found.append(Order.overdue_at.is_not(None))
    if shape.term:
        matches = [
            Order.unit.like(bindparam("term"), escape="/"),
            Order.requester_id.in_(select(User.id).where(User.name.like(bindparam("term"), escape="/"))),
        ]
        if shape.number:
            matches.append(Order.id == bindparam("number"))
        found.append(or_(*matches))
    return found


@cache
def _queue_statement(shape: QueueShape, limit: int) -> Select:
    """Orders that need a hand (submitted, or dispatched with a shortfall), one page, as plain rows
    (the order's columns, ``offered``, ``to_offer`` and the names shown).

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
        Order.id, Order.state, Order.starts_at, Order.ends_at, Order.submitted_at, Order.dispatched_at,
        Order.overdue_at, Order.unit, Order.audience_size, Order.needed, Order.accepted_count,
        Order.service_id, Order.district_id, Order.requester_id, offered.label("offered"),
    ).where(in_constants(Order.state, QUEUE_STATES), needs_hand)
    if shape.state:
        picked = picked.where(Order.state == shape.state)
    picked = picked.where(*filter_conditions(shape))
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
    # Places still to offer: shown once the order is out to volunteers.
    to_offer = case(
        (page.c.state == OrderState.DISPATCHED.value, page.c.needed - page.c.accepted_count - page.c.offered),
        else_=None,
    )
    return (
        select(
            page.c.id, page.c.state, page.c.starts_at, page.c.ends_at, page.c.submitted_at, page.c.dispatched_at,
            page.c.overdue_at, page.c.unit, page.c.audience_size, page.c.needed, page.c.accepted_count,
            page.c.offered, page.c.service_id,
            to_offer.label("to_offer"), Service.name.label("service_name"), District.name.label("district_name"),
            User.name.label("requester_name"),
            twin_column(page.c.id, page.c.requester_id, page.c.service_id, page.c.starts_at).label("twin_id"),
        )
        .join(Service, Service.id == page.c.service_id)
        .join(District, District.id == page.c.district_id)
        .join(User, User.id == page.c.requester_id)
        .order_by(*(c.desc() for c in outer_ordering) if backwards else outer_ordering)
    )


@dataclass
class QueuePage:
    rows: list[Row]  # the columns of ``_queue_statement``
    next_cursor: str | None  # the page after this one, or None at the end
    prev_cursor: str | None  # the page before this one, or None at the start


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _cursor_of(row: Row) -> str:
    # Whole microseconds, not float seconds: the next page starts exactly after this row.
    starts = (row.starts_at - _EPOCH) // _MICROSECOND
    submitted = (row.submitted_at - _EPOCH) // _MICROSECOND
    return f"{starts}-{submitted}-{row.id}"


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
    found = list(read_rows(_queue_statement(shape, per_page + 1), params))
    backwards = direction == "before"
    more = len(found) > per_page
    rows = found[:per_page]
    if backwards:
        rows.reverse()
        next_cursor = _cursor_of(rows[-1]) if rows else None
        prev_cursor = _cursor_of(rows[0]) if more else None
    else:
        next_cursor = _cursor_of(rows[-1]) if more else None
        prev_cursor = _cursor_of(rows[0]) if rows and position is not None else None
    return QueuePage(rows, next_cursor, prev_cursor)
