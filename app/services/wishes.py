"""心愿: a requester describes a need no menu item fits; the center rejects it with a reason or
turns it into an order of a menu service, which then follows the normal loop.

Turning a wish into an order places the order in the requester's name (they asked for it), with the
wish's place and audience and the service, day and hours the coordinator chose; the service's own
rules apply as for any order. The decision is a compare-and-set on the wish (submitted → decided),
so two coordinators cannot both act on one wish; the requester is told either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..dates import BEIJING
from ..extensions import db
from ..models import Category, District, Notification, Order, Role, User, UserRole, Wish, WishStatus
from ..models.base import utcnow
from . import orders as order_service
from .errors import ValidationFailed

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
    coordinators = db.session.scalars(select(User.id).where(User.id.in_(_desk())))
    db.session.add_all(Notification(user_id=uid, kind="wish_submitted") for uid in coordinators)
    return wish


def _desk():
    return select(UserRole.user_id).where(UserRole.role == Role.COORDINATOR.value)


def _decide(wish: Wish, coordinator: User, **values) -> None:
    taken = db.session.execute(
        update(Wish).where(Wish.id == wish.id, Wish.status == WishStatus.SUBMITTED.value)
        .values(reviewed_by_id=coordinator.id, reviewed_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise ValidationFailed(None, _l("Someone at the center has already answered this wish."))
    db.session.refresh(wish)


def reject(wish: Wish, coordinator: User, reason_code: str, note: str) -> None:
    if reason_code not in WISH_REASONS:
        raise ValidationFailed("reason_code", _l("Choose a reason."))
    _decide(wish, coordinator, status=WishStatus.REJECTED.value, reason_code=reason_code, decision_note=note.strip())
    db.session.add(Notification(user_id=wish.requester_id, kind="wish_rejected"))


def convert(wish: Wish, coordinator: User, service_id: int, day: date, start: time, end: time) -> Order:
    """An order of ``service_id`` in the requester's name; flushes. The service's rules apply."""
    if not wish.date_from <= day <= wish.date_to:
        raise ValidationFailed("service_date", _l("Within the dates the requester asked for."))
    requester = wish.requester
    order = order_service.place_order(requester, order_service.OrderRequest(
        service_id=service_id, service_date=day, start_time=start, end_time=end, district_id=wish.district_id,
        address=wish.address, unit=requester.unit or "—", contact_name=requester.name,
        contact_phone=requester.phone, audience_size=wish.audience_size,
        note=f"心愿：{wish.title}"[:500], form_token=f"wish-{wish.id}"))
    db.session.flush()
    _decide(wish, coordinator, status=WishStatus.CONVERTED.value, order_id=order.id)
    db.session.add(Notification(user_id=wish.requester_id, order_id=order.id, kind="wish_converted"))
    return order


def of_requester(user: User) -> list[Wish]:
    return list(db.session.scalars(select(Wish).where(Wish.requester_id == user.id)
                                   .options(joinedload(Wish.order)).order_by(Wish.id.desc()).limit(50)))


def for_desk(limit: int = 100) -> list[Wish]:
    """Waiting wishes first, then the decided ones; newest first in each."""
    return list(db.session.scalars(
        select(Wish).options(joinedload(Wish.requester), joinedload(Wish.district), joinedload(Wish.category))
        .order_by(Wish.status != WishStatus.SUBMITTED.value, Wish.id.desc())
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
