"""心愿: a requester describes a need no menu item fits; the center asks them a question, rejects it
with a reason, turns it into an order of a menu service, or takes it on as a one-off service made
for it; the order then follows the normal loop.

Turning a wish into an order places the order in the requester's name (they asked for it), with the
wish's place and audience and the service, day and hours the coordinator chose; the service's own
rules apply as for any order. A one-off service is made for the wish alone (never on the menu, its
delivery open to the volunteers of its category) and ordered at once. Every step is a compare-and-set
on the wish's status, so two coordinators cannot both act on one wish, nor a requester answer twice;
the other side is told each time. While the requester is asked, the center's review clock stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import joinedload

from ..dates import BEIJING
from ..extensions import db
from ..models import Category, District, Notification, Order, Role, Service, Team, User, Wish, WishStatus
from ..models.base import utcnow
from ..models.menu import DeliveredBy
from . import orders as order_service
from .errors import ValidationFailed
from .notifications import active_ids_with
from .sla import waiting_minutes

WISH_REASONS = {
    "on_the_menu": _l("A service on the menu does this: please order it"),
    "out_of_scope": _l("Not a volunteer service the center offers"),
    "no_volunteers": _l("No volunteers can do this in that period"),
    "not_enough_detail": _l("Not enough detail: please describe it again"),
}
LONGEST_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class WishRequest:
    title: str
    description: str
    category_id: int | None
    district_id: int
    address: str
    audience_size: int
    date_from: date
    date_to: date


def submit(requester: User, w: WishRequest) -> Wish:
    """A new wish, waiting for the center; flushes. Every rule broken is named at once."""
    today = utcnow().astimezone(BEIJING).date()
    errors: list[tuple[str | None, object]] = []
    if w.date_from < today:
        errors.append(("date_from", _l("From today on.")))
    if w.date_to < w.date_from:
        errors.append(("date_to", _l("The end comes after the start.")))
    elif w.date_to - w.date_from > LONGEST_WINDOW:
        errors.append(("date_to", _l("At most 90 days between the two dates.")))
    if errors:
        raise ValidationFailed.of(errors)
    wish = Wish(requester_id=requester.id, title=w.title.strip(), description=w.description.strip(),
                category_id=w.category_id or None, district_id=w.district_id, address=w.address.strip(),
                audience_size=w.audience_size, date_from=w.date_from, date_to=w.date_to)
    db.session.add(wish)
    db.session.flush()
    _tell_the_desk("wish_submitted")
    return wish


def _tell_the_desk(kind: str) -> None:
    db.session.add_all(Notification(user_id=uid, kind=kind) for uid in active_ids_with(Role.COORDINATOR))


def _move(wish: Wish, before: WishStatus, taken_message, **values) -> None:
    """Compare-and-set: ``wish`` leaves ``before`` with ``values``; else nothing, and ``taken_message`` says why."""
    taken = db.session.execute(
        update(Wish).where(Wish.id == wish.id, Wish.status == before.value).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise ValidationFailed(None, taken_message)
    db.session.refresh(wish)


def _decide(wish: Wish, coordinator: User, **values) -> None:
    _move(wish, WishStatus.SUBMITTED, _l("Someone at the center has already answered this wish."),
          reviewed_by_id=coordinator.id, reviewed_at=utcnow(), **values)


def ask(wish: Wish, coordinator: User, question: str) -> None:
    """The center asks the requester something before deciding; its review clock stops until they answer."""
    if not question.strip():
        raise ValidationFailed("question", _l("Write the question."))
    _decide(wish, coordinator, status=WishStatus.ASKED.value, question=question.strip(), answer="",
            asked_at=utcnow())
    db.session.add(Notification(user_id=wish.requester_id, kind="wish_asked"))


def answer(wish: Wish, requester: User, text: str) -> None:
    """The requester answers the center's question: the wish waits for the center again, its clock running on
    from where it stopped."""
    if wish.requester_id != requester.id:
        raise ValidationFailed(None, _l("This is not your wish."))
    if not text.strip():
        raise ValidationFailed("answer", _l("Write your answer."))
    now = utcnow()
    waited = waiting_minutes(wish.asked_at, now) if wish.asked_at else 0
    _move(wish, WishStatus.ASKED, _l("This wish is not waiting for your answer."),
          status=WishStatus.SUBMITTED.value, answer=text.strip(), asked_at=None,
          paused_minutes=Wish.paused_minutes + waited)
    _tell_the_desk("wish_answered")


def reject(wish: Wish, coordinator: User, reason_code: str, note: str) -> None:
    if reason_code not in WISH_REASONS:
        raise ValidationFailed("reason_code", _l("Choose a reason."))
    _decide(wish, coordinator, status=WishStatus.REJECTED.value, reason_code=reason_code, decision_note=note.strip())
    db.session.add(Notification(user_id=wish.requester_id, kind="wish_rejected"))


def convert(wish: Wish, coordinator: User, service_id: int, day: date, start: time, end: time) -> Order:
    """An order of ``service_id`` in the requester's name; flushes. The service's rules apply."""
    return _order_for(wish, coordinator, service_id, day, start, end, one_off=False)


@dataclass(frozen=True)
class OneOff:
    """What the coordinator decides of a one-off service: its category, name and crew, the day and hours, and
    the team (服务队) that delivers it (None: the volunteers of its category)."""
    category_id: int
    name: str
    crew: int
    day: date
    start: time
    end: time
    team_id: int | None = None


def take_on(wish: Wish, coordinator: User, plan: OneOff) -> Order:
    """A one-off service made for ``wish`` and its order, in the requester's name; flushes. The service is never
    on the menu; the volunteers of its category may deliver it, or the members of the team chosen, as for any
    service (``matching.may_deliver``)."""
    errors: list[tuple[str | None, object]] = []
    if db.session.get(Category, plan.category_id) is None:
        errors.append(("category_id", _l("Choose a category.")))
    team = db.session.get(Team, plan.team_id) if plan.team_id else None
    if plan.team_id and team is None:
        errors.append(("team_id", _l("Choose a team.")))
    name = plan.name.strip()
    if db.session.scalar(select(Service.id).where(Service.name == name)) is not None:
        errors.append(("name", _l("A service of that name exists: choose another name.")))
    if errors:
        raise ValidationFailed.of(errors)
    minutes = (plan.end.hour * 60 + plan.end.minute) - (plan.start.hour * 60 + plan.start.minute)
    service = Service(category_id=plan.category_id, name=name, summary=wish.title[:200],
                      description=wish.description, duration_minutes=max(minutes, 1), default_volunteers=plan.crew,
                      min_notice_days=0, audience_limit=max(wish.audience_size, 1), one_off=True,
                      delivered_by=(DeliveredBy.TEAMS if team else DeliveredBy.LISTED).value)
    db.session.add(service)
    if team is not None:
        team.services.append(service)
    db.session.flush()
    return _order_for(wish, coordinator, service.id, plan.day, plan.start, plan.end, one_off=True)


def _order_for(wish: Wish, coordinator: User, service_id: int, day: date, start: time, end: time,
               one_off: bool) -> Order:
    if not wish.date_from <= day <= wish.date_to:
        raise ValidationFailed("service_date", _l("Within the dates the requester asked for."))
    requester = wish.requester
    order = order_service.place_order(requester, order_service.OrderRequest(
        service_id=service_id, service_date=day, start_time=start, end_time=end, district_id=wish.district_id,
        address=wish.address, unit=requester.unit or "—", contact_name=requester.name,
        contact_phone=requester.phone, audience_size=wish.audience_size,
        note=f"心愿：{wish.title}"[:500], form_token=f"wish-{wish.id}"), one_off=one_off)
    db.session.flush()
    _decide(wish, coordinator, status=WishStatus.CONVERTED.value, order_id=order.id)
    db.session.add(Notification(user_id=wish.requester_id, order_id=order.id, kind="wish_converted"))
    return order


def of_requester(user: User) -> list[Wish]:
    return list(db.session.scalars(select(Wish).where(Wish.requester_id == user.id)
                                   .options(joinedload(Wish.order)).order_by(Wish.id.desc()).limit(50)))


def for_desk(limit: int = 100) -> list[Wish]:
    """Wishes waiting for the center first, then those waiting for their requester, then the decided ones;
    oldest first among those waiting for the center (the first to run out of time), newest first otherwise."""
    waiting = Wish.status == WishStatus.SUBMITTED.value
    return list(db.session.scalars(
        select(Wish).options(joinedload(Wish.requester), joinedload(Wish.district), joinedload(Wish.category))
        .order_by(~waiting, Wish.status != WishStatus.ASKED.value, case((waiting, Wish.id), else_=-Wish.id))
        .limit(limit)))


def counts(start: date, end: date) -> list[tuple[str, str, int]]:
    """(category or —, district, wishes) made from ``start`` to ``end`` (Beijing days): what the menu
    may be missing, and where."""
    low = datetime.combine(start, time(), BEIJING)
    high = datetime.combine(end + timedelta(days=1), time(), BEIJING)
    rows = db.session.execute(
        select(func.coalesce(Category.name, "—"), District.name, func.count(Wish.id))
        .select_from(Wish).join(District, District.id == Wish.district_id)
        .outerjoin(Category, Category.id == Wish.category_id)
        .where(Wish.created_at >= low, Wish.created_at < high)
        .group_by(Category.name, District.name).order_by(func.count(Wish.id).desc())
    ).all()
    return [(c, d, n) for c, d, n in rows]
