"""Locale choice: Simplified Chinese unless the user picked English."""

from __future__ import annotations

from flask import current_app, has_request_context, session


def select_locale() -> str:
    """The session's choice in a request; the default in commands and workers."""
    chosen = session.get("locale") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
