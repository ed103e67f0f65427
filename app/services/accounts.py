"""Accounts: creating them, and what the back office does with them.

Every change made by an administrator is written to the audit log. The
rules that keep the center from locking itself out live here: nobody
deactivates or demotes themselves, and the last active administrator stays.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..extensions import db
from ..models import District, Role, User, UserRole, VolunteerProfile
from ..models.users import mask_phone
from .audit import log_action
from .errors import ValidationFailed
from .paging import newest_first

ADMIN = Role.ADMIN.value
# No 0/O, 1/l/I: read aloud or copied from a screen without mistakes.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


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


# The roles in the order their page opens after signing in: the back office, the dispatch queue,
# 我的任务, the menu; the first one a person holds wins unless they chose another of theirs.
START_PRIORITY: tuple[str, ...] = (Role.ADMIN.value, Role.COORDINATOR.value, Role.VOLUNTEER.value,
                                   Role.REQUESTER.value)


def start_choices(user: User) -> list[str]:
    """The roles whose page ``user`` may choose to start on, in priority order: none for a single role."""
    held = [role for role in START_PRIORITY if user.has_role(role)]
    return held if len(held) > 1 else []


def start_role(user: User) -> str | None:
    """The role whose page opens after signing in: the one chosen while still held, else the first held."""
    if user.start_page and user.has_role(user.start_page):
        return user.start_page
    return next((role for role in START_PRIORITY if user.has_role(role)), None)


def choose_start_page(user: User, role: str | None) -> None:
    """Start on ``role``'s page from now on (None: by the roles' priority).

    Raises ``ValidationFailed`` on ``start_page`` for a role ``user`` does not hold, or when they hold
    only one (there is nothing to choose).
    """
    if role and role not in start_choices(user):
        raise ValidationFailed("start_page", _l("Choose the page of one of your roles."))
    user.start_page = role or None


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def choose_channels(user: User, sms: bool, email: str, by_email: bool) -> None:
    """How ``user`` hears of their orders besides the app: text messages, email, both or neither.

    Raises ``ValidationFailed`` on ``email`` for an address that is not one, or none when email is asked for.
    """
    email = email.strip()
    if email and not EMAIL.match(email):
        raise ValidationFailed("email", _l("Enter an email address such as name@example.com."))
    if by_email and not email:
        raise ValidationFailed("email", _l("Give the address to send email to."))
    user.sms_opt_in, user.email, user.email_opt_in = sms, email or None, by_email


@dataclass(frozen=True)
class AccountFilter:
    q: str = ""  # part of a name or a phone number
    role: str | None = None
    status: str | None = None  # "active" or "inactive"


@dataclass
class AccountPage:
    users: list[User]
    next_cursor: int | None


def search_accounts(f: AccountFilter, after: int | None = None, per_page: int = 25) -> AccountPage:
    """Accounts matching ``f``, newest first, after the account ``after`` (keyset paging).

    Two statements whatever the page holds: the accounts, then their roles.
    """
    query = select(User)
    if f.q:
        query = query.where(or_(User.name.contains(f.q, autoescape=True), User.phone.contains(f.q, autoescape=True)))
    if f.role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == f.role)))
    if f.status:
        query = query.where(User.active.is_(f.status == "active"))
    return AccountPage(*newest_first(query, User.id, after, per_page))


def account_label(user: User) -> str:
    """How the audit log names a person: the name and the masked phone."""
    return f"{user.name} ({mask_phone(user.phone)})"


def _active_admins():
    return select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == ADMIN, User.active.is_(True))


def _keep_an_active_admin(user: User) -> None:
    """Refuse to take the last active administrator away (before the change).

    Every active administrator's row is locked (PostgreSQL) so that two
    administrators removing each other at once cannot both succeed: the
    second reads the first's change once it commits.
    """
    if not (user.active and ADMIN in user.roles):
        return
    if not [i for i in db.session.scalars(_active_admins().with_for_update(of=User)) if i != user.id]:
        raise ValidationFailed(None, _l("The center needs at least one active administrator."))


def _an_active_admin_remains() -> None:
    """The same rule after the change is written: SQLite takes its one writer's lock at the first
    write, so only a read after it sees what another administrator committed meanwhile."""
    db.session.flush()
    if db.session.scalar(_active_admins().limit(1)) is None:
        raise ValidationFailed(None, _l("The center needs at least one active administrator."))


def change_roles(user: User, roles: list[str], actor: User) -> bool:
    """Give ``user`` exactly ``roles``; False when nothing changed.

    A new volunteer gets an approved profile (the administrator vouches for
    them). Raises ``ValidationFailed`` on ``roles`` when the administrator
    would drop their own admin role or the last active administrator's.
    """
    old, new = sorted(user.roles), sorted(set(roles))
    if old == new:
        return False
    if ADMIN in old and ADMIN not in new:
        if user.id == actor.id:
            raise ValidationFailed("roles", _l("You cannot take away your own administrator role."))
        try:
            _keep_an_active_admin(user)
            user.set_roles(new)
            _an_active_admin_remains()
        except ValidationFailed as err:
            raise ValidationFailed("roles", err.message) from err
    else:
        user.set_roles(new)
    if Role.VOLUNTEER.value in new and user.profile is None:
        db.session.add(VolunteerProfile(user=user, status="approved"))
    log_action(actor, "user.roles", "user", user.id, label=account_label(user), before=old, after=new)
    db.session.flush()
    return True


def deactivate_account(user: User, actor: User) -> bool:
    """Deactivate ``user``; every session of theirs ends at its next request. False if already inactive.

    Raises ``ValidationFailed`` for one's own account or the last active administrator.
    """
    if user.id == actor.id:
        raise ValidationFailed(None, _l("You cannot deactivate your own account."))
    if not user.active:
        return False
    _keep_an_active_admin(user)
    user.active = False
    user.rotate_session()
    _an_active_admin_remains()
    log_action(actor, "user.deactivate", "user", user.id, label=account_label(user),
               before="active", after="inactive")
    db.session.flush()
    return True


def reactivate_account(user: User, actor: User) -> bool:
    """Let ``user`` sign in again (their old sessions stay ended). False if already active."""
    if user.active:
        return False
    user.active = True
    log_action(actor, "user.reactivate", "user", user.id, label=account_label(user),
               before="inactive", after="active")
    db.session.flush()
    return True


def temporary_password() -> str:
    """Twelve characters in three groups, e.g. ``k7mq-x3ta-9pwe``."""
    chars = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))


def reset_password(user: User, actor: User) -> str:
    """Give ``user`` a temporary password, returned to be shown once and never stored in clear.

    Their sessions end; at their next sign-in every page asks for a new
    password first. Raises ``ValidationFailed`` for one's own account (the
    account page changes it).
    """
    if user.id == actor.id:
        raise ValidationFailed(None, _l("Change your own password on your account page."))
    password = temporary_password()
    user.set_password(password)  # a new session token: every session of theirs ends
    user.must_change_password = True
    log_action(actor, "user.password_reset", "user", user.id, label=account_label(user),
               before=None, after="password_pending")
    db.session.flush()
    return password
