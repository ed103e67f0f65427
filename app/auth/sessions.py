"""Sessions that can be revoked and that time out.

The session stores the user's rotating ``session_token`` instead of the id,
so logout, a password change, deactivation or "sign out everywhere" ends
every copy of the session and remember cookies. Idle and absolute timeouts
are checked before every request; a remembered login lasts at most
``REMEMBER_COOKIE_DURATION`` and is never fresh.

A remembered login carries its issue time in the id Flask-Login signs into
the remember cookie (``<token>.<unix time>``), so the server itself refuses
a remember cookie older than ``REMEMBER_COOKIE_DURATION``, whatever expiry
the browser keeps, and a session restored from the cookie ends when the
cookie's 30 days end, not 30 days after the restore.
"""

from __future__ import annotations

import time
from functools import cache
from urllib.parse import urljoin, urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask_login import AnonymousUserMixin, current_user, login_user, logout_user
from sqlalchemy import Select, bindparam, func, literal, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Notification, User
from .audit import record

# Session keys kept across login, logout and timeouts.
_KEPT_KEYS = ("locale",)
# Activity is recorded at most once a minute: an unchanged session is not
# re-signed and re-sent on every request. An idle session therefore ends at
# most a minute before SESSION_IDLE_TIMEOUT of real idleness, never after.
SEEN_AT_STEP = 60
# Unread messages are counted up to this many (the badge shows "99+").
UNREAD_SHOWN = 100
# Tolerated clock difference between servers for an issue time "from the future".
_CLOCK_SKEW = 300


def _split_id(value: str) -> tuple[str, int | None]:
    """``<token>.<issued>`` (a remembered login) or a bare ``<token>``."""
    token, sep, issued = value.partition(".")
    if not sep:
        return token, None
    try:
        return token, int(issued)
    except ValueError:
        return "", None


def _remember_valid(issued: int) -> bool:
    age = int(time.time()) - issued
    return -_CLOCK_SKEW <= age <= current_app.config["REMEMBER_COOKIE_DURATION"].total_seconds()


class Visitor(AnonymousUserMixin):
    """Nobody signed in: no roles (Flask-Login's ``anonymous_user``)."""

    roles: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return False


@cache
def _user_by_token() -> Select:
    """One statement for what every page needs: the user with their roles (the
    navigation) and their unread count (the badge). Built once."""
    # Counted up to UNREAD_SHOWN only: the badge says "99+" beyond, and a coordinator
    # with thousands of unread messages costs no more per page than anyone else.
    first_unread = (
        select(literal(1))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .limit(UNREAD_SHOWN)
        .correlate(User)
        .subquery()
    )
    unread = select(func.count()).select_from(first_unread).scalar_subquery()
    return (
        select(User, unread)
        .where(User.session_token == bindparam("token"))
        .options(joinedload(User.role_rows))
    )


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the id is the rotating session token.

    Nobody is loaded for a page that must not touch the database (an error
    page while it is down: ``templating.show_as_anonymous``).
    """
    if not user_id or g.get("show_as_anonymous"):
        return None
    token, issued = _split_id(user_id)
    if not token:
        return None
    if issued is not None and not _remember_valid(issued):
        g.clear_remember_cookie = True  # the browser may still send it: make it forget
        return None
    row = db.session.execute(_user_by_token(), {"token": token}).unique().first()
    if row is None:
        return None
    user, g.unread_notifications = row
    return user


def unread_count() -> int:
    """The signed-in user's unread messages (counted when the user was loaded), else 0."""
    if not current_user.is_authenticated:
        return 0
    unread = g.get("unread_notifications")
    if unread is None:
        from ..services.notifications import unread_count as count

        unread = g.unread_notifications = count(current_user)
    return unread


def start_session(remember: bool = False) -> None:
    now = int(time.time())
    session["login_at"] = now
    session["seen_at"] = now
    session["remember"] = bool(remember)


def _clear_session(keep_remember_op: bool = True) -> None:
    kept = {k: session[k] for k in _KEPT_KEYS if k in session}
    remember_op = session.get("_remember") if keep_remember_op else None
    session.clear()
    session.update(kept)
    if remember_op:
        session["_remember"] = remember_op


def begin_session(user: User, remember: bool = False) -> None:
    """Log ``user`` in on a fresh session: nothing from before the login survives."""
    _clear_session(keep_remember_op=False)
    login_user(user, remember=remember, fresh=True)
    start_session(remember)
    if remember:
        # Flask-Login writes session["_user_id"] into the signed remember cookie
        # at the end of this request: stamp it with the issue time.
        session["_user_id"] = f"{user.get_id()}.{session['login_at']}"


def end_session() -> None:
    """Log out here and drop the session (and the remember cookie)."""
    logout_user()
    if session.pop("_remember", None) == "clear":
        g.clear_remember_cookie = True
    _clear_session(keep_remember_op=False)


def clear_remember_cookie(response):
    """Delete the remember cookie with the flags it was set with.

    Flask-Login's own deletion omits ``Secure``, and browsers ignore a
    ``__Host-`` cookie set without it, so the deletion would not happen.
    """
    if g.pop("clear_remember_cookie", False):
        cfg = current_app.config
        response.delete_cookie(
            cfg.get("REMEMBER_COOKIE_NAME", "remember_token"),
            path=cfg.get("REMEMBER_COOKIE_PATH", "/"),
            domain=cfg.get("REMEMBER_COOKIE_DOMAIN"),
            secure=bool(cfg.get("REMEMBER_COOKIE_SECURE")),
            httponly=True,
            samesite=cfg.get("REMEMBER_COOKIE_SAMESITE"),
        )
    return response


def revoke_sessions(user: User) -> None:
    """Every session and remember cookie of ``user`` stops working."""
    user.rotate_session()


def deactivate_user(user: User, actor: User | None = None) -> None:
    """Deactivate an account; its open sessions end on their next request."""
    user.active = False
    revoke_sessions(user)
    record("deactivate", "ok", user_id=user.id, actor=actor.id if actor is not None else None)


def on_login_from_cookie(sender, user=None, **extra) -> None:
    """A remember cookie brought the user back: a new, non-fresh, remembered session.

    Its 30 days run from the cookie's issue time; a cookie without one (issued
    before the time was stamped in) counts as expired.
    """
    start_session(remember=True)
    _token, issued = _split_id(session.get("_user_id") or "")
    session["login_at"] = issued if issued is not None else 0
    record("login_remembered", "ok", user_id=user.id if user is not None else None)


def enforce_session_timeouts():
    if request.endpoint in (None, "static", "bootstrap.static"):
        return None
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    cfg = current_app.config
    login_at = session.get("login_at")
    seen_at = session.get("seen_at")
    if login_at is None or seen_at is None:
        start_session(session.get("remember", False))
        return None
    if session.get("remember"):
        expired = now - login_at > cfg["REMEMBER_COOKIE_DURATION"].total_seconds()
    else:
        expired = (
            now - seen_at > cfg["SESSION_IDLE_TIMEOUT"].total_seconds()
            or now - login_at > cfg["PERMANENT_SESSION_LIFETIME"].total_seconds()
        )
    if not expired:
        if now - seen_at >= SEEN_AT_STEP:
            session["seen_at"] = now
        return None
    record("session_timeout", "ok", user_id=current_user.id)
    end_session()
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


# What a person with a temporary password may still reach: the new-password page and the way out.
_WHILE_PASSWORD_PENDING = frozenset({"auth.new_password", "auth.logout", "auth.language", "static", "bootstrap.static"})


def require_password_change():
    """After an administrator's reset, every page asks for a new password first."""
    if request.endpoint in _WHILE_PASSWORD_PENDING or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.new_password"))
    return None


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site; no scheme, host or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(urljoin(request.host_url, target))
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(request.host_url).netloc
