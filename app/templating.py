"""Template globals and filters: labels, colours, Beijing-time dates."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, g, url_for
from flask_babel import format_date, format_datetime, format_time, format_timedelta, get_locale
from flask_login import current_user

from . import labels, workflow
from .auth.forms import LanguageForm, LogoutForm
from .models.users import mask_phone


def beijing(value: datetime | None, kind: str = "datetime") -> str:
    if value is None:
        return ""
    if kind == "date":
        return format_date(value, "medium")
    if kind == "time":
        return format_time(value, "HH:mm")
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def waited(since: datetime) -> str:
    from .models.base import utcnow

    return format_timedelta(utcnow() - since, threshold=1.1)


def notification_text(n) -> str:
    template = labels.NOTIFICATIONS.get(n.kind)
    return str(template) % {"number": n.order.number} if template else n.kind


def notification_link(n) -> str:
    """Each reader goes to the page of the order they are allowed to see."""
    event = n.event
    if event.assignment is not None and event.assignment.volunteer_id == n.user_id:
        return url_for("volunteer.job", assignment_id=event.assignment_id)
    if n.order.requester_id == n.user_id:
        return url_for("requester.order", order_id=n.order_id)
    return url_for("coordinator.order", order_id=n.order_id)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale,
        labels=labels,
        can=workflow.can,
        allowed_actions=workflow.allowed_actions,
        mask=mask_phone,
        waited=waited,
        notification_text=notification_text,
        notification_link=notification_link,
    )
    app.jinja_env.filters["bj"] = beijing

    @app.context_processor
    def chrome():
        from .services.notifications import unread_count

        unread = 0
        if current_user.is_authenticated:  # counted with the user lookup (auth.sessions.load_user)
            unread = g.get("unread_notifications")
            unread = unread_count(current_user) if unread is None else unread
        return {
            "unread_notifications": unread,
            "logout_form": LogoutForm(),
            "language_form": LanguageForm(),
        }
