"""Template globals and filters: labels, colours, Beijing-time dates."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_login import current_user

from . import labels, workflow
from .auth.forms import LanguageForm, LogoutForm


def beijing(value: datetime | None, kind: str = "datetime") -> str:
    if value is None:
        return ""
    if kind == "date":
        return format_date(value, "medium")
    if kind == "time":
        return format_time(value, "HH:mm")
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale,
        labels=labels,
        can=workflow.can,
        allowed_actions=workflow.allowed_actions,
    )
    app.jinja_env.filters["bj"] = beijing

    @app.context_processor
    def chrome():
        from .services.notifications import unread_count

        unread = unread_count(current_user) if current_user.is_authenticated else 0
        return {
            "unread_notifications": unread,
            "logout_form": LogoutForm(),
            "language_form": LanguageForm(),
        }
