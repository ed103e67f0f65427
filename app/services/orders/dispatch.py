"""The center's side of an order: offering it to volunteers, its crew, rejecting it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload, with_expression

from ... import workflow
from ...extensions import db
from ...models import Assignment, Order, Service, User
from ...models.base import utcnow
from ...models.orders import ACTIVE_ASSIGNMENT_STATES, AssignmentState, OrderState
from .. import feedback
from ..errors import ValidationFailed
from .queue import twin_column

MAX_CREW = 20


def dispatch_order(order: Order, volunteers: list[User], actor: User) -> list[Assignment]:
    """Offer ``order`` to ``volunteers``; the first dispatch moves it to ``dispatched``.

    Volunteers who already hold a live slot on the order are skipped.
    """
    if not volunteers:
        raise ValidationFailed("volunteer_ids", _l("Choose at least one volunteer."))
    if workflow.is_open(order, "dispatch"):
        workflow.apply(order, "dispatch", actor)
    elif not workflow.takes_offers(order):
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
        if volunteer.profile is None or not volunteer.profile.is_approved:
            raise ValidationFailed("volunteer_ids", _l("A pending or suspended volunteer cannot be offered an order."))
        assignment = Assignment(order=order, volunteer=volunteer, expires_at=expires)
        workflow.apply(assignment, "offer", actor)
        offered.append(assignment)
    return offered


def dispatch_to_top(order: Order, actor: User) -> list[Assignment]:
    """Offer ``order`` to as many top-ranked volunteers as it is short of.

    Raises ``ValidationFailed`` when nobody eligible is free, and the
    workflow's errors when the order cannot be dispatched now.
    """
    from .. import matching  # noqa: PLC0415 (matching reads the order services)

    wanted = max(order.needed - order.accepted_count - len(order.open_offers), 1)
    volunteers = matching.top(order, wanted)
    if not volunteers:
        raise ValidationFailed("volunteer_ids", _l("No eligible volunteer is free for this order."))
    return dispatch_order(order, volunteers, actor)


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
        .where(Order.id == order.id, Order.state.in_(workflow.OFFERABLE_STATES), Order.accepted_count <= needed)
        .values(needed=needed)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(order, ["needed", "accepted_count", "state"])
    if result.rowcount != 1:
        if not workflow.takes_offers(order):
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


def may_change_crew(order: Order) -> bool:
    """The crew (how many volunteers) can change while the order still takes offers."""
    return workflow.takes_offers(order)


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


def _offer_hours() -> int:
    from ..settings import current_settings  # noqa: PLC0415 (settings read the cache at call time)

    return current_settings().offer_deadline_hours


# --- reads: the center sees every order -------------------------------------------------


def orders_for_coordinator(order_ids: list[int]) -> list[Order]:
    """The orders picked in the queue, with their crews, in the queue's order."""
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


@cache
def _coordinator_order_query() -> Select:
    # One statement; other people's roles are not shown, so not loaded with them.
    return select(Order).where(Order.id == bindparam("order_id")).options(
        with_expression(Order.twin_id, twin_column(Order.id, Order.requester_id, Order.service_id, Order.starts_at)),
        with_expression(Order.feedback_count, feedback.count_column(Order.id)),
        with_expression(Order.feedback_average, feedback.average_column(Order.id)),
        joinedload(Order.service).joinedload(Service.category),
        joinedload(Order.requester).lazyload(User.role_rows),
        joinedload(Order.district),
        joinedload(Order.rating),
        joinedload(Order.assignments).joinedload(Assignment.volunteer).lazyload(User.role_rows),
    )


def order_for_coordinator(order_id: int) -> Order | None:
    return db.session.execute(_coordinator_order_query(), {"order_id": order_id}).unique().scalar_one_or_none()


@dataclass
class Crew:
    """The order's places as its page lists them."""

    slots: list[Assignment | None]  # accepted volunteers, then open offers, then empty places
    earlier: list[Assignment]  # offers that ended: declined, expired, withdrawn


def crew_of(order: Order) -> Crew:
    """The order's N places: accepted volunteers first, then open offers, then empty ones.

    Offers beyond N are listed too: several volunteers can be asked for one
    place, and the first to accept takes it.
    """
    holding = [a for a in order.assignments if a.holds_slot]
    offered = [a for a in order.assignments if a.state == AssignmentState.OFFERED.value]
    slots: list[Assignment | None] = [*holding, *offered]
    slots.extend([None] * max(order.needed - len(slots), 0))
    earlier = [a for a in order.assignments if a.state not in ACTIVE_ASSIGNMENT_STATES]
    return Crew(slots, earlier)
