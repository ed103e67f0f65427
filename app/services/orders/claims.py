"""The claim board (抢单): orders of the services open to claims, taken by the volunteers who may deliver them.

A claim is the workflow's ``claim`` transition: a new place, accepted at once,
under the order's row lock and the volunteer's (no overlapping job), and
counted against the order's places like an accepted offer. The rules around
it are here: the service must be open to claims, the volunteer approved and
allowed to deliver it (matching's rule), and holding fewer claimed places
than the center's limit.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, and_, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from ... import workflow
from ...extensions import db, read_rows
from ...models import Assignment, District, Order, OrderEvent, Service, User, VolunteerProfile
from ...models.base import utcnow
from ...models.expressions import in_constants
from ...models.menu import DispatchMode, ServiceStatus
from ...models.orders import ACTIVE_ASSIGNMENT_STATES, AssignmentState, OrderState
from ..errors import ValidationFailed
from ..matching import may_deliver_the_order

BOARD_SIZE = 50


def _claimable(volunteer_id) -> list:
    """The conditions of an order ``volunteer_id`` may claim now (besides the clock and the limit)."""
    mine = select(Assignment.order_id).where(
        Assignment.volunteer_id == volunteer_id, in_constants(Assignment.state, ACTIVE_ASSIGNMENT_STATES)
    )
    allowed = (
        select(VolunteerProfile.id)
        .where(VolunteerProfile.user_id == volunteer_id, VolunteerProfile.status == "approved",
               may_deliver_the_order())
        .correlate(Order, Service)
        .exists()
    )
    return [
        Order.state == OrderState.DISPATCHED.value,
        Service.dispatch_mode == DispatchMode.CLAIM.value,
        Service.status == ServiceStatus.PUBLISHED.value,
        Order.accepted_count < Order.needed,
        Order.id.not_in(mine),
        allowed,
    ]


def claim_board(volunteer: User, now: datetime | None = None) -> list[Row]:
    """The orders ``volunteer`` may claim, soonest service first: one statement."""
    volunteer_id = bindparam("volunteer_id")
    statement = (
        select(Order.id, Order.submitted_at, Order.starts_at, Order.ends_at, Order.unit, Order.audience_size,
               Order.needed, Order.accepted_count, Service.name.label("service_name"),
               District.name.label("district_name"))
        .join(Service, Service.id == Order.service_id)
        .join(District, District.id == Order.district_id)
        .where(*_claimable(volunteer_id), Order.starts_at > bindparam("now", type_=Order.starts_at.type))
        .order_by(Order.starts_at, Order.id)
        .limit(BOARD_SIZE)
    )
    return list(read_rows(statement, {"volunteer_id": volunteer.id, "now": now or utcnow()}))


def claims_held(volunteer: User) -> int:
    """The places ``volunteer`` took from the board and still holds before the service."""
    return db.session.scalar(
        select(func.count(Assignment.id))
        .join(OrderEvent, and_(OrderEvent.assignment_id == Assignment.id, OrderEvent.action == "claim"))
        .where(Assignment.volunteer_id == volunteer.id, Assignment.state == AssignmentState.ACCEPTED.value)
    ) or 0


def claim_order(order: Order, volunteer: User, claim_limit: int) -> Assignment:
    """``volunteer`` takes a place on ``order`` from the claim board.

    Raises ``ValidationFailed`` when the rules refuse it, and the workflow's
    errors (the places are filled, the service started, another job at that
    time) otherwise; after any error roll the session back.
    """
    may = db.session.scalar(
        select(func.count(Order.id)).join(Service, Service.id == Order.service_id)
        .where(Order.id == order.id, *_claimable(volunteer.id))
    )
    if not may:
        if order.service.dispatch_mode != DispatchMode.CLAIM:
            raise ValidationFailed("order", _l("This order is dispatched by the center, not claimed."))
        if order.accepted_count >= order.needed:
            raise workflow.Conflict(_l("All places on this order are already filled."))
        raise ValidationFailed("order", _l("You cannot claim this order: it is for volunteers who deliver "
                                           "this service in its district, once, while it has places."))
    if claims_held(volunteer) >= claim_limit:
        raise ValidationFailed("order", _l("You already hold %(n)s places from the claim board: "
                                           "give one back or finish one first.", n=claim_limit))
    assignment = Assignment(order=order, volunteer=volunteer, volunteer_id=volunteer.id)
    try:
        workflow.apply(assignment, "claim", volunteer)
    except IntegrityError as error:  # the same volunteer's second click won the race to the unique index
        raise workflow.Conflict(_l("You already have a place on this order.")) from error
    return assignment
