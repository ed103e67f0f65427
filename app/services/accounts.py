"""Creating accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import District, Role, User
from .errors import ValidationFailed


def register_user(
    *, name: str, phone: str, unit: str, district_id: int, password: str,
    roles: tuple[Role, ...] = (Role.REQUESTER,),
) -> User:
    """Create a requester account. Raises ``ValidationFailed`` for a taken phone."""
    phone = phone.strip()
    if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise ValidationFailed("phone", _l("This mobile number is already registered."))
    if db.session.get(District, district_id) is None:
        raise ValidationFailed("district_id", _l("Choose a district."))
    user = User(name=name.strip(), phone=phone, unit=unit.strip(), district_id=district_id)
    user.set_password(password)
    user.set_roles(list(roles))
    db.session.add(user)
    db.session.flush()
    return user
