"""Template globals and filters: labels, colours, Beijing-time dates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g, url_for
from flask_babel import format_timedelta, get_locale, get_translations
from flask_login import current_user

from . import labels, workflow
from .auth.forms import LanguageForm, LogoutForm
from .dates import format_moment
from .models.users import mask_phone


def lang() -> str:
    """The user's language as "zh" or "en"."""
    return str(get_locale()).split("_")[0]


def beijing(value: date | datetime | None, kind: str = "datetime") -> str:
    """A date or a UTC time in Beijing time, written the user's way.

    ``kind``: date, weekday (date with the day of the week), time, datetime,
    or short (month, day and time; the year only when it is not this year).
    """
    if value is None:
        return ""
    return format_moment(value, lang(), kind)


def _translations():
    """The request's catalog, looked up once per request instead of per string."""
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def install_fast_gettext(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )


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
    install_fast_gettext(app)

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
