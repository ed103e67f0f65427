"""Locale choice: Simplified Chinese unless the user picked English."""

from __future__ import annotations

from flask import current_app, session


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
