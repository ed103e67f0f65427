"""Template globals and filters: labels, colours, Beijing-time dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, g, url_for
from flask_babel import format_date, format_datetime, format_timedelta, get_locale, to_user_timezone
from flask_login import current_user

from . import labels, workflow
from .auth.forms import LanguageForm, LogoutForm
from .models.users import mask_phone

# Dates written the way each language writes them: 2026年12月5日 周六 09:00.
DATE_PATTERNS = {
    "zh": {"date": "y年M月d日", "weekday": "y年M月d日 EEE", "datetime": "y年M月d日 HH:mm",
           "short": "M月d日 HH:mm", "time": "HH:mm"},
    "en": {"date": "MMM d, y", "weekday": "EEE, MMM d, y", "datetime": "MMM d, y HH:mm",
           "short": "MMM d, HH:mm", "time": "HH:mm"},
}


def beijing(value: date | datetime | None, kind: str = "datetime") -> str:
    """A date or a UTC time in Beijing time, written the user's way.

    ``kind``: date, weekday (date with the day of the week), time, datetime,
    or short (month, day and time; the year only when it is not this year).
    """
    if value is None:
        return ""
    patterns = DATE_PATTERNS.get(str(get_locale()).split("_")[0], DATE_PATTERNS["en"])
    if not isinstance(value, datetime):
        return format_date(value, patterns["weekday" if kind == "weekday" else "date"])
    if kind == "short" and to_user_timezone(value).year != to_user_timezone(datetime.now(UTC)).year:
        kind = "datetime"
    return format_datetime(value, patterns.get(kind, patterns["datetime"]))


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
