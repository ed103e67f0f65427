"""The order life cycle: one declared table of transitions and one ``apply``.

Every change of an order's or an assignment's state goes through ``apply``:
it checks the state, the actor's role and ownership, writes the change as a
compare-and-set UPDATE (so a concurrent change makes it fail cleanly instead
of overwriting), stamps the time, and inserts exactly one ``OrderEvent``.
Follow-on changes (the last slot filled -> the order is accepted) are further
``apply`` calls by the system actor, each with its own event.

Callers own the transaction: when ``apply`` raises, roll the session back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Union

from blinker import Namespace
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from .dates import BEIJING
from .extensions import db
from .models import counters
from .models.base import utcnow
from .models.menu import DispatchMode
from .models.orders import (
    BUSY_ORDER_STATES,
    HOLDING_ASSIGNMENT_STATES,
    MAX_ORDER_SPAN,
    Assignment,
    Order,
    OrderEvent,
    Rating,
)
from .models.orders import (
    AssignmentState as A,
)
from .models.orders import (
    OrderState as O,
)
from .models.users import Role, User, VolunteerProfile

SYSTEM = None  # the actor of follow-on changes and of the periodic sweep

# Sent with each event ``apply`` records, in its transaction, after its follow-ons:
# what reacts to the life cycle (notifications) subscribes here.
event_recorded = Namespace().signal("order-event-recorded")
NEW = "new"  # the pseudo-state of an assignment before it is offered

Target = Union[Order, Assignment]


# --- errors -----------------------------------------------------------------


class WorkflowError(Exception):
    """Base of the domain errors; ``message`` is shown to the user."""

    status_code = 409

    def __init__(self, message, field: str | None = None):
        # Keep the lazy message: translating it here needs a request (the
        # locale is the user's), and a sweep or a worker thread has none.
        super().__init__(message)
        self.message = message
        self.field = field


class IllegalTransition(WorkflowError):
    """The action does not apply in the current state (HTTP 409)."""


class Conflict(IllegalTransition):
    """Somebody else changed the order first: the slot is filled, it was cancelled, ..."""


class NotPermitted(WorkflowError):
    """The actor's role or ownership does not allow the action (HTTP 403)."""

    status_code = 403


class MissingInput(WorkflowError):
    """The action needs input that was not given (a reason, the hours)."""

    status_code = 422


# --- reasons ------------------------------------------------------------------

# One table of the reasons people give when they close or give back something, each tagged with the
# (action, role) pairs it fits: each form offers only its own, the state machine accepts only those,
# and the numbers count them by the same tags.
_CLOSE = (("reject", "coordinator"), ("cancel", "coordinator"))
_ALL_GENERAL = (("reject", "coordinator"), ("cancel", "requester"), ("cancel", "coordinator"),
                ("decline", "volunteer"), ("release", "volunteer"), ("withdraw", "coordinator"))
REASON_TABLE: tuple[tuple[str, object, tuple[tuple[str, str], ...]], ...] = (
    ("out_of_scope", _l("Outside the menu's scope"), (("reject", "coordinator"),)),
    ("no_volunteer", _l("No volunteer free"), _CLOSE),
    ("duplicate", _l("Duplicate order"), (*_CLOSE, ("cancel", "requester"))),
    ("info_incomplete", _l("Information incomplete"), _CLOSE),
    ("requester_withdrew", _l("Requester withdrew"), (("cancel", "requester"), ("cancel", "coordinator"))),
    ("schedule_changed", _l("Schedule changed"), (("cancel", "requester"), ("cancel", "coordinator"),
                                                 ("decline", "volunteer"), ("release", "volunteer"),
                                                 ("withdraw", "coordinator"))),
    ("volunteer_unavailable", _l("Volunteer unavailable"), (("decline", "volunteer"), ("release", "volunteer"),
                                                           ("withdraw", "coordinator"))),
    ("not_my_skill", _l("Not within my skills"), (("decline", "volunteer"),)),
    ("service_retired", _l("The service was taken off the menu"), (("cancel", "coordinator"),)),
    ("too_far", _l("Too far away"), (("decline", "volunteer"), ("release", "volunteer"))),
    ("other", _l("Other"), _ALL_GENERAL),
)
REASONS: dict[str, object] = {code: label for code, label, _fits in REASON_TABLE}


def reasons_for(action: str, role: str) -> dict[str, object]:
    """The reasons that fit ``action`` done as ``role``, in the table's order."""
    return {code: label for code, label, fits in REASON_TABLE if (action, role) in fits}


# What the people served may say went wrong (服务有问题).
DISPUTE_REASONS: dict[str, object] = {
    "not_delivered": _l("The service did not take place"),
    "late_or_short": _l("Late, or shorter than agreed"),
    "quality": _l("The service was poor"),
    "hours_wrong": _l("The hours recorded are wrong"),
    "other": _l("Other"),
}
# How the center decides a dispute.
RESOLUTIONS: dict[str, object] = {
    "credit": _l("Credit the hours as logged"),
    "adjust": _l("Credit adjusted hours"),
    "void": _l("Credit no hours"),
}
# Why the center checks a volunteer in by hand (marked on the record).
BY_HAND_REASONS: dict[str, object] = {
    "phone_trouble": _l("The volunteer's phone could not check in"),
    "seen_on_site": _l("Confirmed on site or by phone"),
    "other": _l("Other"),
}
# Reasons only the system gives.
SYSTEM_REASONS: dict[str, object] = {
    "low_rating": _l("Rated 1 or 2 stars"),
    "slots_filled": _l("All places were filled"),
    "order_closed": _l("The order was closed"),
    "no_answer": _l("No answer in time"),
}


# --- the table ----------------------------------------------------------------

REQUESTER, VOLUNTEER, COORDINATOR = Role.REQUESTER.value, Role.VOLUNTEER.value, Role.COORDINATOR.value
SYSTEM_ROLE = "system"
OWNS_ORDER, OWNS_SLOT = "requester", "volunteer"


@dataclass(frozen=True)
class Transition:
    action: str
    entity: str  # "order" or "assignment"
    sources: frozenset[str]
    target: str
    # role -> ownership rule (None: any object; OWNS_ORDER / OWNS_SLOT: only own)
    roles: dict[str, str | None]
    stamps: tuple[str, ...] = ()
    needs_reason: bool = False
    # For assignment actions: the states the order must be in.
    order_states: frozenset[str] = field(default_factory=frozenset)
    needs_report: bool = False  # the hours served and a summary (completing a job)
    # When the action is open, by the clock: a name in ``TIME_RULES`` (checked by ``can`` too).
    time_rule: str | None = None
    # The volunteer must be free: no other job of theirs held over the order's window.
    volunteer_free: bool = False
    # Which list the reason comes from (``REASON_LISTS``), and the reason that also needs hours.
    reasons: str = "general"
    hours_for_reason: str | None = None


def _t(action, entity, sources, target, roles, stamps=(), needs_reason=False, order_states=(), needs_report=False,
       time_rule=None, volunteer_free=False, reasons="general", hours_for_reason=None):
    return Transition(
        action,
        entity,
        frozenset(s.value if hasattr(s, "value") else s for s in sources),
        target.value,
        roles,
        tuple(stamps),
        needs_reason,
        frozenset(s.value for s in order_states),
        needs_report,
        time_rule,
        volunteer_free,
        reasons,
        hours_for_reason,
    )


TRANSITIONS: tuple[Transition, ...] = (
    # order
    _t("submit", "order", [NEW], O.SUBMITTED, {REQUESTER: OWNS_ORDER}, ["submitted_at"]),
    _t("dispatch", "order", [O.SUBMITTED], O.DISPATCHED, {COORDINATOR: None}, ["dispatched_at"]),
    # A service open to claims: its new order goes straight to the claim board (抢单).
    _t("open_claims", "order", [O.SUBMITTED], O.DISPATCHED, {SYSTEM_ROLE: None}, ["dispatched_at"]),
    _t("reject", "order", [O.SUBMITTED, O.DISPATCHED], O.REJECTED, {COORDINATOR: None},
       ["rejected_at"], needs_reason=True),
    _t("cancel", "order", [O.SUBMITTED, O.DISPATCHED, O.ACCEPTED], O.CANCELLED,
       {REQUESTER: OWNS_ORDER, COORDINATOR: None}, ["cancelled_at"], needs_reason=True),
    _t("fill", "order", [O.DISPATCHED], O.ACCEPTED, {SYSTEM_ROLE: None}, ["accepted_at"]),
    _t("reopen", "order", [O.ACCEPTED], O.DISPATCHED, {SYSTEM_ROLE: None}),
    _t("start", "order", [O.ACCEPTED], O.IN_SERVICE, {SYSTEM_ROLE: None}, ["started_at"]),
    _t("finish", "order", [O.IN_SERVICE], O.COMPLETED, {SYSTEM_ROLE: None}, ["completed_at"]),
    # The people served confirm the service and rate it (评单); the hours count from then.
    _t("rate", "order", [O.COMPLETED, O.CONFIRMED], O.RATED, {REQUESTER: OWNS_ORDER}, ["rated_at"]),
    # Nobody rated it within the auto-confirm days: the sweep confirms it and the hours count.
    _t("confirm", "order", [O.COMPLETED], O.CONFIRMED, {SYSTEM_ROLE: None}, ["confirmed_at"],
       time_rule="confirm_due"),
    # 服务有问题: for a week after the service, also after a rating; a rating of 1-2 stars opens one too.
    # The crew's hours are held until the center decides.
    _t("dispute", "order", [O.COMPLETED, O.CONFIRMED, O.RATED], O.DISPUTED,
       {REQUESTER: OWNS_ORDER, SYSTEM_ROLE: None}, ["disputed_at"], needs_reason=True,
       time_rule="dispute_window", reasons="dispute"),
    _t("resolve", "order", [O.DISPUTED], O.RESOLVED, {COORDINATOR: None}, ["resolved_at"], needs_reason=True,
       reasons="resolve", hours_for_reason="adjust"),
    # assignment
    _t("offer", "assignment", [NEW], A.OFFERED, {COORDINATOR: None}, ["offered_at"],
       order_states=[O.DISPATCHED]),
    _t("accept", "assignment", [A.OFFERED], A.ACCEPTED, {VOLUNTEER: OWNS_SLOT}, ["responded_at"],
       order_states=[O.DISPATCHED], time_rule="before_offer_deadline", volunteer_free=True),
    # A volunteer takes a place from the claim board: an accepted place at once, under the same lock.
    _t("claim", "assignment", [NEW], A.ACCEPTED, {VOLUNTEER: OWNS_SLOT}, ["offered_at", "responded_at"],
       order_states=[O.DISPATCHED], time_rule="before_start", volunteer_free=True),
    # ... and may give it back before the service, with a reason (a late release is counted).
    _t("release", "assignment", [A.ACCEPTED], A.WITHDRAWN, {VOLUNTEER: OWNS_SLOT}, ["ended_at"],
       needs_reason=True, order_states=[O.DISPATCHED, O.ACCEPTED], time_rule="before_start"),
    _t("decline", "assignment", [A.OFFERED], A.DECLINED, {VOLUNTEER: OWNS_SLOT},
       ["responded_at", "ended_at"], needs_reason=True, order_states=[O.DISPATCHED]),
    _t("expire", "assignment", [A.OFFERED], A.EXPIRED, {SYSTEM_ROLE: None}, ["ended_at"],
       order_states=[O.DISPATCHED]),
    _t("withdraw", "assignment", [A.OFFERED, A.ACCEPTED], A.WITHDRAWN,
       {COORDINATOR: None, SYSTEM_ROLE: None}, ["ended_at"], needs_reason=True,
       order_states=[O.DISPATCHED, O.ACCEPTED, O.REJECTED, O.CANCELLED]),
    _t("check_in", "assignment", [A.ACCEPTED], A.CHECKED_IN, {VOLUNTEER: OWNS_SLOT},
       ["checked_in_at"], order_states=[O.ACCEPTED, O.IN_SERVICE], time_rule="check_in_window"),
    # The center checks a volunteer in by hand, with a reason: the record says so.
    _t("check_in_by_hand", "assignment", [A.ACCEPTED], A.CHECKED_IN, {COORDINATOR: None},
       ["checked_in_at"], needs_reason=True, order_states=[O.ACCEPTED, O.IN_SERVICE], time_rule="check_in_window",
       reasons="by_hand"),
    _t("complete", "assignment", [A.CHECKED_IN], A.COMPLETED, {VOLUNTEER: OWNS_SLOT},
       ["completed_at"], order_states=[O.IN_SERVICE], needs_report=True, time_rule="after_start"),
)

REASON_LISTS: dict[str, dict[str, object]] = {
    "general": REASONS, "dispute": DISPUTE_REASONS, "resolve": RESOLUTIONS, "by_hand": BY_HAND_REASONS,
}
LOW_RATING = 2  # stars at or below open a dispute instead of confirming the service
DISPUTE_WINDOW = timedelta(days=7)  # after the service ends

OPEN_JOB_STATES = counters.OPEN_JOB_STATES  # a volunteer's open jobs (``VolunteerProfile.open_jobs``)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
# The order states in which volunteers can be offered an order: dispatching it, or offering it once dispatched.
OFFERABLE_STATES = BY_ACTION["dispatch"].sources | BY_ACTION["offer"].order_states
ORDER_ACTIONS = tuple(t.action for t in TRANSITIONS if t.entity == "order")
ASSIGNMENT_ACTIONS = tuple(t.action for t in TRANSITIONS if t.entity == "assignment")


# --- checks -------------------------------------------------------------------


def _is_order(target: Target) -> bool:
    return isinstance(target, Order)


def _order_of(target: Target) -> Order:
    return target if _is_order(target) else target.order


def _state_of(target: Target) -> str:
    return target.state or NEW


def _owns(rule: str | None, target: Target, actor: User) -> bool:
    if rule is None:
        return True
    if rule == OWNS_ORDER:
        return _order_of(target).requester_id == actor.id
    return not _is_order(target) and target.volunteer_id == actor.id


def may_act(transition: Transition, target: Target, actor: User | None) -> bool:
    """Whether ``actor`` holds a role (and ownership) that allows ``transition``."""
    if actor is SYSTEM:
        return SYSTEM_ROLE in transition.roles
    if not actor.is_active:
        return False
    return any(
        role != SYSTEM_ROLE and actor.has_role(role) and _owns(rule, target, actor)
        for role, rule in transition.roles.items()
    )


def state_allows(transition: Transition, target: Target) -> bool:
    if _state_of(target) not in transition.sources:
        return False
    if transition.time_rule and not on_time(transition, target, utcnow()):
        return False
    if transition.entity == "assignment":
        return _order_of(target).state in transition.order_states
    return True


# --- the clock ----------------------------------------------------------------------


def _settings():
    from .services.settings import current_settings  # the center's settings, kept in the cache

    return current_settings()


def check_in_opens(order: Order) -> datetime:
    """Check-in opens this long before the service starts (a setting)."""
    return order.starts_at - timedelta(minutes=_settings().check_in_opens_minutes)


def check_in_closes(order: Order) -> datetime:
    """Check-in closes at the end of the service day, in Beijing."""
    day = order.ends_at.astimezone(BEIJING).date() + timedelta(days=1)
    return datetime.combine(day, time(), BEIJING)


def hours_tolerance() -> timedelta:
    """How far past the service window a check-out still counts (a setting)."""
    return timedelta(minutes=_settings().hours_tolerance_minutes)


def check_in_opens_later(assignment: Assignment, now: datetime | None = None) -> datetime | None:
    """When check-in opens, if only the clock stands in the way now (the job page says so)."""
    t = BY_ACTION["check_in"]
    order = assignment.order
    if _state_of(assignment) not in t.sources or order.state not in t.order_states:
        return None
    opens = check_in_opens(order)
    return opens if (now or utcnow()) < opens else None


def hours_allowed(assignment: Assignment, now: datetime | None = None) -> Decimal:
    """The most hours a check-out now may record (the volunteer may record less)."""
    return assignment.creditable_hours(now or utcnow(), hours_tolerance())


def confirm_due_at(order: Order) -> datetime | None:
    """When a completed order nobody rated counts as confirmed (the auto-confirm days, a setting)."""
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(days=_settings().auto_confirm_days)


TIME_RULES: dict[str, Callable[[Target, datetime], bool]] = {
    # An offer past its answer deadline can no longer be accepted, swept or not.
    "before_offer_deadline": lambda a, now: a.expires_at is None or now < a.expires_at,
    # From a while before the start until the end of the service day.
    "check_in_window": lambda a, now: check_in_opens(a.order) <= now < check_in_closes(a.order),
    # A place is claimed or given back before the service starts.
    "before_start": lambda a, now: now < a.order.starts_at,
    # No job is finished before it began.
    "after_start": lambda a, now: now >= a.order.starts_at,
    # The requester had their days to rate it.
    "confirm_due": lambda o, now: o.completed_at is not None and now >= confirm_due_at(o),
    # A week after the service, the record stands.
    "dispute_window": lambda o, now: now < o.ends_at + DISPUTE_WINDOW,
}


def on_time(transition: Transition, target: Target, now: datetime) -> bool:
    """Whether the clock allows ``transition`` on ``target`` at ``now``."""
    return transition.time_rule is None or TIME_RULES[transition.time_rule](target, now)


def _entity_matches(transition: Transition, target: Target) -> bool:
    return transition.entity == ("order" if _is_order(target) else "assignment")


def can(target: Target, action: str, actor: User | None) -> bool:
    """Whether ``apply(target, action, actor)`` would pass its checks now.

    The checks read the target's state, owner and deadline (and an
    assignment's order): a page may load only those columns.
    """
    t = BY_ACTION.get(action)
    return bool(
        t and _entity_matches(t, target) and state_allows(t, target) and may_act(t, target, actor)
    )


def is_open(target: Target, action: str) -> bool:
    """Whether ``target``'s state (and clock) allows ``action`` now, whoever asks."""
    t = BY_ACTION.get(action)
    return bool(t and _entity_matches(t, target) and state_allows(t, target))


def takes_offers(order: Order) -> bool:
    """Whether volunteers can be offered ``order`` now (a new order is dispatched first)."""
    return order.state in OFFERABLE_STATES


def allowed_actions(target: Target, actor: User | None) -> list[str]:
    """The actions ``actor`` may take on ``target`` now; templates show these buttons."""
    return [t.action for t in TRANSITIONS if can(target, t.action, actor)]


# --- apply --------------------------------------------------------------------


def apply(
    target: Target,
    action: str,
    actor: User | None,
    *,
    reason_code: str | None = None,
    note: str = "",
    hours: Decimal | str | None = None,
    summary: str = "",
) -> OrderEvent:
    """Apply ``action`` to ``target`` as ``actor`` and record it.

    Raises ``NotPermitted`` (role or ownership), ``IllegalTransition`` (state),
    ``Conflict`` (a concurrent change won) or ``MissingInput``. Nothing is
    written before the checks pass; after a ``Conflict`` roll the session back.
    """
    t = BY_ACTION.get(action)
    if t is None or not _entity_matches(t, target):
        raise IllegalTransition(_l("This action does not exist."))
    order = _order_of(target)
    # The checks only read. A new assignment already sits in its order's
    # collection but not yet in the session: loading the actor's expired
    # attributes must not autoflush it (SAWarning, and nothing to write yet).
    with db.session.no_autoflush:
        _lock_and_refresh(order, target)
        if not may_act(t, target, actor):
            raise NotPermitted(_l("You may not do this."))
        if not state_allows(t, target):
            raise IllegalTransition(_illegal_message(t, target))
        now = utcnow()
        reason_code = _check_input(t, actor, reason_code, hours, summary)
        if t.needs_report:
            _check_hours(target, Decimal(str(hours)), now)
        if t.volunteer_free and (clash := _overlapping_job(target)) is not None:
            raise Conflict(_l("You already have a job at that time: %(job)s.", job=_job_label(clash)))

    from_state = _state_of(target)
    values: dict[str, object] = {"state": t.target, **{s: now for s in t.stamps}}
    if t.needs_report:
        values.update(hours=Decimal(str(hours)), summary=summary.strip())

    if from_state == NEW:
        if t.entity == "assignment":
            _keep_place(order, from_state, t.target)  # a claim takes its place as it is made
        _insert(target, values)
    elif t.entity == "order":
        _compare_and_set(Order, order, from_state, values)
    else:
        _keep_place(order, from_state, t.target)
        _compare_and_set(Assignment, target, from_state, values)
    if t.entity == "assignment":
        counters.count_job(db.session, target, from_state, t.target, now)

    event = OrderEvent(
        order_id=order.id,
        assignment_id=target.id if isinstance(target, Assignment) else None,
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity=t.entity,
        from_state=None if from_state == NEW else from_state,
        to_state=t.target,
        reason_code=reason_code,
        note=(note or "").strip(),
        hours=Decimal(str(hours)) if reason_code is not None and reason_code == t.hours_for_reason else None,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()

    _FOLLOW_ONS.get(action, _nothing)(target, order, event)
    event_recorded.send(event)
    return event


def _illegal_message(t: Transition, target: Target):
    order = _order_of(target)
    if order.state == O.CANCELLED.value:
        return _l("This order was cancelled.")
    if t.action in ("accept", "claim") and order.accepted_count >= order.needed:
        return _l("All places on this order are already filled.")
    if t.action == "accept" and _state_of(target) == A.WITHDRAWN.value:
        return _l("This offer was withdrawn.")
    if _state_of(target) in t.sources and not on_time(t, target, utcnow()):
        return _TOO_EARLY_OR_LATE.get(t.action, _not_now)(target)
    return _l("This cannot be done in the order's current state.")


def _check_in_message(assignment: Assignment):
    if utcnow() < check_in_opens(assignment.order):
        return _l("Check-in opens %(minutes)s minutes before the service starts.",
                  minutes=_settings().check_in_opens_minutes)
    return _l("Check-in closed at the end of the service day.")


def _not_now(target: Target):
    return _l("This cannot be done at this time.")


_TOO_EARLY_OR_LATE: dict[str, Callable[[Target], object]] = {
    "accept": lambda a: _l("This offer has expired."),
    "check_in": _check_in_message,
    "check_in_by_hand": _check_in_message,
    "complete": lambda a: _l("A job can be completed once the service has started."),
    "claim": lambda a: _l("The service has started: it can no longer be claimed."),
    "release": lambda a: _l("The service has started: ask the center to withdraw you."),
}


def _check_input(t, actor, reason_code, hours, summary) -> str | None:
    if t.needs_reason:
        allowed = REASON_LISTS[t.reasons]
        if t.reasons == "general" and actor is not None and actor is not SYSTEM:
            allowed = {code for role in t.roles if actor.has_role(role) for code in reasons_for(t.action, role)}
        if reason_code not in allowed and not (actor is SYSTEM and reason_code in SYSTEM_REASONS):
            raise MissingInput(_l("Choose a reason."), field="reason_code")
    elif reason_code is not None:
        reason_code = None
    if reason_code is not None and reason_code == t.hours_for_reason:
        _check_decided_hours(hours)
    if t.needs_report:
        try:
            finite = Decimal(str(hours)).is_finite()
        except (InvalidOperation, TypeError):
            finite = False
        if not finite:
            raise MissingInput(_l("Enter the hours served."), field="hours")
        if not (summary or "").strip():
            raise MissingInput(_l("Write a short summary."), field="summary")
    return reason_code


def _check_decided_hours(hours) -> None:
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, TypeError):
        value = Decimal("NaN")
    if not value.is_finite() or not (0 < value <= 24) or value % Decimal("0.5"):
        raise MissingInput(_l("Between 0.5 and 24 hours, in half hours."), field="hours")


def _check_hours(assignment: Assignment, hours: Decimal, now: datetime) -> None:
    """Hours are the time since check-in, at most the window plus the tolerance, in half hours;
    the volunteer may claim less, never more."""
    most = hours_allowed(assignment, now)
    if most <= 0:
        raise MissingInput(_l("Check-out counts from 30 minutes after check-in."), field="hours")
    if not (0 < hours <= most) or hours % Decimal("0.5"):
        raise MissingInput(_l("Between 0.5 and %(most)s hours, in half hours.", most=most), field="hours")


def _overlapping_job(assignment: Assignment) -> Order | None:
    """The order of another place the volunteer holds whose window overlaps this one's, if any.

    The volunteer's profile row is locked first: two accepts of two orders by
    one volunteer wait for each other, and the second sees the first.
    """
    order = assignment.order
    db.session.execute(
        select(VolunteerProfile.id).where(VolunteerProfile.user_id == assignment.volunteer_id).with_for_update()
    ).all()
    clash = (
        select(Order)
        .join(Assignment, Assignment.order_id == Order.id)
        .where(
            Assignment.volunteer_id == assignment.volunteer_id,
            Assignment.state.in_(HOLDING_ASSIGNMENT_STATES),
            Order.id != order.id,
            Order.state.in_(BUSY_ORDER_STATES),
            *Order.overlapping(order.starts_at, order.ends_at, order.starts_at - MAX_ORDER_SPAN),
        )
        .order_by(Order.starts_at)
        .limit(1)
    )
    return db.session.scalar(clash)


def _job_label(order: Order) -> str:
    """The other job, as the volunteer knows it: its number, service and window (Beijing time)."""
    starts, ends = order.starts_at.astimezone(BEIJING), order.ends_at.astimezone(BEIJING)
    return f"{order.number} {order.service.name} {starts:%m-%d %H:%M}–{ends:%H:%M}"


def _lock_and_refresh(order: Order, target: Target) -> None:
    """Lock the order row and reload the current states.

    Every action locks the order first, so two actions on one order never
    deadlock. PostgreSQL locks the row (FOR UPDATE). SQLite has no row locks
    and reads outside a transaction: a write that changes nothing takes its
    single write lock first, so the states read next stay current until
    commit. Without it the checks and the follow-ons (the last accept fills
    the order) act on a counter another connection has changed meanwhile.
    The compare-and-set UPDATEs below stay as the second line of defence.
    """
    if order.id is None:
        return
    with db.session.no_autoflush:
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(
                update(Order)
                .where(Order.id == order.id)
                .values(updated_at=Order.updated_at)
                .execution_options(synchronize_session=False)
            )
        _reload(order, target)


def _reload(order: Order, target: Target) -> None:
    # The rows must be fetched: populate_existing only refreshes what is loaded.
    db.session.scalars(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if isinstance(target, Assignment) and target.id is not None:
        db.session.scalars(
            select(Assignment)
            .where(Assignment.id == target.id)
            .execution_options(populate_existing=True)
        ).all()


def _compare_and_set(model, obj, expected_state: str, values: dict) -> None:
    result = db.session.execute(
        update(model)
        .where(model.id == obj.id, model.state == expected_state)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_l("Somebody changed this order a moment ago. Reload and try again."))
    for key, value in values.items():
        set_committed_value(obj, key, value)
    db.session.expire(obj, ["updated_at"])


def _keep_place(order: Order, from_state: str, to_state: str) -> None:
    """The order's count of places held follows the assignment into or out of a place."""
    holds_after = to_state in HOLDING_ASSIGNMENT_STATES
    if holds_after and from_state not in HOLDING_ASSIGNMENT_STATES:
        if not counters.take_place(db.session, order):
            raise Conflict(_l("All places on this order are already filled."))
    elif from_state in HOLDING_ASSIGNMENT_STATES and not holds_after:
        counters.free_place(db.session, order)


def _insert(new: Target, values: dict) -> None:
    for key, value in values.items():
        setattr(new, key, value)
    db.session.add(new)
    db.session.flush()


# --- follow-on changes ----------------------------------------------------------


def _nothing(target: Target, order: Order, _event: OrderEvent) -> None:
    return None


def _current_assignments(order: Order, *states: str) -> list[Assignment]:
    """The order's assignments as the database has them now (the order row is locked)."""
    query = select(Assignment).where(Assignment.order_id == order.id)
    if states:
        query = query.where(Assignment.state.in_(states))
    return list(
        db.session.scalars(query.order_by(Assignment.id).execution_options(populate_existing=True))
    )


def _after_submit(order: Order, _order: Order, _event: OrderEvent) -> None:
    """An order of a service open to claims goes to the claim board; the others wait for the center."""
    if order.service.dispatch_mode == DispatchMode.CLAIM:
        apply(order, "open_claims", SYSTEM)


def _after_accept(assignment: Assignment, order: Order, _event: OrderEvent) -> None:
    if order.accepted_count >= order.needed and order.state == O.DISPATCHED.value:
        apply(order, "fill", SYSTEM)
        for other in _current_assignments(order, A.OFFERED.value):
            apply(other, "withdraw", SYSTEM, reason_code="slots_filled")


def _after_withdraw(assignment: Assignment, order: Order, _event: OrderEvent) -> None:
    if order.state == O.ACCEPTED.value and order.accepted_count < order.needed:
        apply(order, "reopen", SYSTEM)


def _after_check_in(assignment: Assignment, order: Order, _event: OrderEvent) -> None:
    if order.state == O.ACCEPTED.value:
        apply(order, "start", SYSTEM)


def _after_complete(assignment: Assignment, order: Order, _event: OrderEvent) -> None:
    crew = [a for a in _current_assignments(order) if a.holds_slot]
    if order.state == O.IN_SERVICE.value and all(a.state == A.COMPLETED.value for a in crew):
        apply(order, "finish", SYSTEM)


def _after_close(order: Order, _order: Order, _event: OrderEvent) -> None:
    """A rejected or cancelled order frees every volunteer on it."""
    for a in _current_assignments(order, A.OFFERED.value, A.ACCEPTED.value):
        apply(a, "withdraw", SYSTEM, reason_code="order_closed")


def _after_rate(order: Order, _order: Order, event: OrderEvent) -> None:
    """The people served closed the loop: their stars count; a low rating opens a dispute,
    any other confirms the service (its hours count, unless the auto-confirm counted them)."""
    counters.count_rating(db.session, order)
    stars = db.session.scalar(select(Rating.stars).where(Rating.order_id == order.id))
    if stars is not None and stars <= LOW_RATING and is_open(order, "dispute"):
        apply(order, "dispute", SYSTEM, reason_code="low_rating")
    elif order.confirmed_at is None:
        _after_confirm(order, order, event)


def _after_confirm(order: Order, _order: Order, event: OrderEvent) -> None:
    """The service is confirmed: the crew's hours go into the ledger."""
    counters.credit_crew(db.session, order, event.created_at)
    _current_assignments(order, A.COMPLETED.value)  # reload the crew with their credited hours


def _after_dispute(order: Order, _order: Order, event: OrderEvent) -> None:
    """The hours logged are written (if they were not) and held until the center decides."""
    counters.credit_crew(db.session, order, event.created_at)
    counters.hold_crew(db.session, order, event.created_at)
    _current_assignments(order, A.COMPLETED.value)


def _after_resolve(order: Order, _order: Order, event: OrderEvent) -> None:
    """The center decided: the held hours come back as logged, adjusted, or not at all."""
    if event.reason_code != "void":
        counters.settle_crew(db.session, order, event.hours, event.created_at, event.actor_id, event.note)


_FOLLOW_ONS = {
    "submit": _after_submit,
    "accept": _after_accept,
    "claim": _after_accept,
    "release": _after_withdraw,
    "withdraw": _after_withdraw,
    "check_in": _after_check_in,
    "check_in_by_hand": _after_check_in,
    "complete": _after_complete,
    "reject": _after_close,
    "cancel": _after_close,
    "rate": _after_rate,
    "confirm": _after_confirm,
    "dispute": _after_dispute,
    "resolve": _after_resolve,
}
