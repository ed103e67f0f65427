"""时限: the center's clocks on an order, counted in working hours on the center's calendar.

Two clocks on an order, each with a target per category (the settings' when the category names none):

- **dispatch**: from the moment an order is placed until the center dispatches it;
- **acceptance**: from dispatch until its crew is full.

And one on a 心愿: **review**, from the moment it is made until the center answers it, with the
dispatch target; the time it waits for the requester's answer to a question is off the clock.

Time counts only on working days (the settings' weekdays, less the public holidays the admin keeps)
within the working hours, all in Beijing time; by default every hour of every day counts. A clock is
green, amber from three quarters of its target on, red once the target has passed; at twice the
target it is escalated. The sweep records each breach and escalation once (``SlaEvent``) and tells
the coordinators, and then the administrators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..dates import BEIJING
from ..extensions import db
from ..models import Category, Notification, Order, Role, Service, SlaEvent
from ..models.orders import OrderState
from .notifications import active_ids_with
from .reference import kept
from .settings import CenterSettings, current_settings

DISPATCH = "dispatch"
ACCEPTANCE = "acceptance"
REVIEW = "review"
CLOCKS = (DISPATCH, ACCEPTANCE)
AMBER_SHARE = 0.75  # of the target elapsed: the clock turns amber
ESCALATE_AFTER = 2  # times the target: the administrators are told
BREACH, ESCALATION = "breach", "escalation"
BADGES = {"green": "text-bg-success", "amber": "text-bg-warning", "red": "text-bg-danger"}

_DAY_MINUTES = 24 * 60
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_hours(text: str) -> tuple[int, int] | None:
    """"09:00-17:30" as minutes after midnight (540, 1050); None when it is not a window of one day."""
    found = _HOURS.match(text.strip())
    if not found:
        return None
    start, end = int(found[1]) * 60 + int(found[2]), int(found[3]) * 60 + int(found[4])
    return (start, end) if start < end <= _DAY_MINUTES else None


def parse_holidays(text: str) -> frozenset[date] | None:
    """The dates in ``text`` (YYYY-MM-DD, separated by anything); None when one is no date."""
    days = set()
    for word in _DATE.findall(text):
        try:
            days.add(date.fromisoformat(word))
        except ValueError:
            return None
    if _DATE.sub("", text).strip(" ,;、，；\n\r\t"):
        return None  # something besides dates
    return frozenset(days)


@dataclass(frozen=True)
class WorkingCalendar:
    weekdays: frozenset[int]  # Monday 1 … Sunday 7
    start: int  # minutes after midnight
    end: int
    holidays: frozenset[date]

    @classmethod
    def of(cls, settings: CenterSettings) -> WorkingCalendar:
        start, end = parse_hours(settings.work_hours) or (0, _DAY_MINUTES)
        days = frozenset(int(d) for d in settings.work_days if d in "1234567") or frozenset(range(1, 8))
        return cls(days, start, end, parse_holidays(settings.holidays) or frozenset())

    @property
    def always(self) -> bool:
        return len(self.weekdays) == 7 and (self.start, self.end) == (0, _DAY_MINUTES) and not self.holidays

    def works_on(self, day: date) -> bool:
        return day.isoweekday() in self.weekdays and day not in self.holidays

    def add(self, since: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``since`` (a UTC datetime; the answer too)."""
        if self.always:
            return since + timedelta(hours=hours)
        left = timedelta(hours=hours)
        local = since.astimezone(BEIJING)
        day = local.date()
        minute = local.hour * 60 + local.minute + local.second / 60
        for _ in range(3660):  # ten years of calendar days: a calendar with no working day ends the walk
            if self.works_on(day):
                begin = max(minute, self.start)
                available = timedelta(minutes=max(self.end - begin, 0))
                if left <= available:
                    opening = datetime.combine(day, datetime.min.time(), BEIJING) + timedelta(minutes=begin)
                    return (opening + left).astimezone(since.tzinfo)
                left -= available
            day, minute = day + timedelta(days=1), 0
        return since + timedelta(hours=hours)

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """The working minutes from ``start`` to ``end`` (UTC datetimes), whole minutes."""
        if end <= start:
            return 0
        if self.always:
            return int((end - start).total_seconds() // 60)
        first, last = start.astimezone(BEIJING), end.astimezone(BEIJING)
        day, total = first.date(), 0.0
        while day <= last.date():
            if self.works_on(day):
                low = first.hour * 60 + first.minute + first.second / 60 if day == first.date() else 0
                high = last.hour * 60 + last.minute + last.second / 60 if day == last.date() else _DAY_MINUTES
                total += max(min(high, self.end) - max(low, self.start), 0)
            day += timedelta(days=1)
        return int(total)


@dataclass(frozen=True)
class Clock:
    kind: str  # DISPATCH or ACCEPTANCE
    started_at: datetime
    due_at: datetime
    amber_at: datetime
    escalate_at: datetime

    def colour(self, now: datetime) -> str:
        if now > self.due_at:
            return "red"
        return "amber" if now >= self.amber_at else "green"

    def badge(self, now: datetime) -> str:
        """The Bootstrap badge of the clock's colour."""
        return BADGES[self.colour(now)]

    def breached(self, now: datetime) -> bool:
        return now > self.due_at


def targets(settings: CenterSettings, dispatch_hours: int | None, accept_hours: int | None) -> dict[str, int]:
    """The working hours each clock allows for an order of a category with these targets (None: the settings')."""
    return {DISPATCH: dispatch_hours or settings.dispatch_deadline_hours,
            ACCEPTANCE: accept_hours or settings.accept_target_hours}


def running_clock(order: Order, calendar: WorkingCalendar, hours: dict[str, int]) -> Clock | None:
    """The clock running on ``order`` now: dispatch while it waits, acceptance while places are open."""
    if order.state == OrderState.SUBMITTED.value:
        kind, since = DISPATCH, order.submitted_at
    elif order.state == OrderState.DISPATCHED.value and order.dispatched_at is not None \
            and order.accepted_count < order.needed:
        kind, since = ACCEPTANCE, order.dispatched_at
    else:
        return None
    target = hours[kind]
    return Clock(kind, since, calendar.add(since, target), calendar.add(since, target * AMBER_SHARE),
                 calendar.add(since, target * ESCALATE_AFTER))


def wish_clock(wish, calendar: WorkingCalendar, target_hours: int) -> Clock | None:
    """The review clock of a 心愿 waiting for the center; none once answered or while the requester is asked.
    The minutes it waited for the requester move its due time on by as many working minutes."""
    if not wish.waits_for_center:
        return None
    since, paused = wish.created_at, wish.paused_minutes / 60
    return Clock(REVIEW, since, calendar.add(since, target_hours + paused),
                 calendar.add(since, target_hours * AMBER_SHARE + paused),
                 calendar.add(since, target_hours * ESCALATE_AFTER + paused))


def wish_clocks(wishes: list) -> dict[int, Clock]:
    """The review clock of each of ``wishes`` waiting for the center, by wish id (the category's dispatch
    target, else the settings')."""
    settings = current_settings()
    calendar = WorkingCalendar.of(settings)
    found = {}
    for wish in wishes:
        target = (wish.category.dispatch_target_hours if wish.category else None) or settings.dispatch_deadline_hours
        clock = wish_clock(wish, calendar, target)
        if clock is not None:
            found[wish.id] = clock
    return found


def waiting_minutes(since: datetime, until: datetime) -> int:
    """Working minutes between two moments on the center's calendar (time a wish waited for its requester)."""
    return WorkingCalendar.of(current_settings()).minutes_between(since, until)


# --- on the pages: the clock of each order shown ------------------------------------------------------


def _targets_by_service() -> dict[int, tuple[int | None, int | None]]:
    """Each service's category targets (dispatch, acceptance), kept with the reference data."""
    return dict(kept("clock_targets", lambda: tuple(
        (sid, (dispatch, accept)) for sid, dispatch, accept in db.session.execute(
            select(Service.id, Category.dispatch_target_hours, Category.accept_target_hours)
            .join(Category, Category.id == Service.category_id))
    )))


def clocks_of(orders: list, now: datetime | None = None) -> dict[int, Clock]:
    """The running clock of each of ``orders`` (models or rows with ``service_id``, ``state``, ``submitted_at``,
    ``dispatched_at``, ``accepted_count`` and ``needed``), by order id; none for an order with no clock."""
    settings = current_settings()
    calendar, by_service = WorkingCalendar.of(settings), _targets_by_service()
    found = {}
    for order in orders:
        clock = running_clock(order, calendar, targets(settings, *by_service.get(order.service_id, (None, None))))
        if clock is not None:
            found[order.id] = clock
    return found


# --- the sweep: breaches and escalations, each recorded and told once ---------------------------------


def _open_orders(now: datetime, settings: CenterSettings) -> list:
    """The orders whose clock may have run out by ``now``, with their category's targets: one statement.

    A working hour is never shorter than an hour on the clock, so an order placed (or dispatched) less
    than the smallest target ago cannot be late yet: an index range, not every open order, at any size.
    """
    by_service = _targets_by_service().values()
    soonest = {kind: min([hours[kind] for hours in (targets(settings, d, a) for d, a in by_service)]
                         or [targets(settings, None, None)[kind]]) for kind in CLOCKS}
    return list(db.session.execute(
        select(Order.id, Order.state, Order.submitted_at, Order.dispatched_at, Order.accepted_count, Order.needed,
               Category.dispatch_target_hours, Category.accept_target_hours)
        .join(Service, Service.id == Order.service_id)
        .join(Category, Category.id == Service.category_id)
        .where(or_(
            and_(Order.state == OrderState.SUBMITTED.value,
                 Order.submitted_at < now - timedelta(hours=soonest[DISPATCH])),
            and_(Order.state == OrderState.DISPATCHED.value, Order.accepted_count < Order.needed,
                 Order.dispatched_at < now - timedelta(hours=soonest[ACCEPTANCE])),
        ))
    ))


def _record(order_id: int, clock: str, level: str, due_at: datetime, tell: list[int], now: datetime) -> bool:
    """Write the breach (or escalation) and its notifications in one transaction; False when it was written before."""
    db.session.add(SlaEvent(order_id=order_id, clock=clock, level=level, due_at=due_at, created_at=now))
    kind = "sla_breach" if level == BREACH else "sla_escalation"
    db.session.add_all(Notification(user_id=uid, order_id=order_id, kind=kind, created_at=now) for uid in tell)
    if level == BREACH:
        db.session.execute(update(Order).where(Order.id == order_id, Order.overdue_at.is_(None))
                           .values(overdue_at=now).execution_options(synchronize_session=False))
    try:
        db.session.commit()
    except IntegrityError:  # another sweep recorded it a moment ago
        db.session.rollback()
        return False
    return True


def check_clocks(now: datetime, settings: CenterSettings) -> int:
    """Record each clock that ran out (telling the coordinators) or ran twice its target (telling the
    administrators) since the last sweep; returns how many orders newly breached."""
    calendar = WorkingCalendar.of(settings)
    rows = _open_orders(now, settings)
    done = {tuple(e) for e in db.session.execute(
        select(SlaEvent.order_id, SlaEvent.clock, SlaEvent.level)
        .join(Order, Order.id == SlaEvent.order_id)
        .where(Order.state.in_((OrderState.SUBMITTED.value, OrderState.DISPATCHED.value)))
    )} if rows else set()
    db.session.rollback()
    coordinators, admins, breached = active_ids_with(Role.COORDINATOR), active_ids_with(Role.ADMIN), 0
    for row in rows:
        clock = running_clock(row, calendar, targets(settings, row.dispatch_target_hours, row.accept_target_hours))
        if clock is None or now <= clock.due_at:
            continue
        if (row.id, clock.kind, BREACH) not in done and _record(row.id, clock.kind, BREACH, clock.due_at,
                                                                 coordinators, now):
            breached += 1
        if now > clock.escalate_at and (row.id, clock.kind, ESCALATION) not in done:
            _record(row.id, clock.kind, ESCALATION, clock.escalate_at, admins, now)
    return breached
