"""Sessions that can be revoked and that time out.

The session stores the user's rotating ``session_token`` instead of the id,
so logout or a password change ends every copy of the cookie. Idle and
absolute timeouts are checked before every request.
"""

from __future__ import annotations

import time
from urllib.parse import urljoin, urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Notification, User


def load_user(token: str) -> User | None:
    # One query for what every page needs: the user, their roles (the navigation)
    # and their unread count (the badge, read by the template context from ``g``).
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(User, unread).where(User.session_token == token).options(joinedload(User.role_rows))
    ).unique().first()
    if row is None:
        return None
    g.unread_notifications = row[1]
    return row[0]


def start_session() -> None:
    now = int(time.time())
    session["login_at"] = now
    session["seen_at"] = now


def enforce_session_timeouts():
    if request.endpoint in (None, "static", "bootstrap.static"):
        return None
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    if session.get("_remember") or request.cookies.get(
        current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    ):
        idle_ok = True
    else:
        idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
        idle_ok = now - session.get("seen_at", now) <= idle
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    fresh_enough = now - session.get("login_at", now) <= absolute or session.get("_remember")
    if idle_ok and fresh_enough:
        if now - session.get("seen_at", 0) > 60:
            session["seen_at"] = now
        return None
    logout_user()
    session.clear()
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def is_safe_next(target: str | None) -> bool:
    """Only paths on this site; no scheme, host or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(urljoin(request.host_url, target))
    return parts.scheme in ("http", "https") and parts.netloc == urlsplit(request.host_url).netloc
