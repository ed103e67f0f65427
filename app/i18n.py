"""Locale choice: Simplified Chinese unless the user picked English."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app, has_request_context, session


def select_locale() -> Locale:
    """The session's choice in a request; the default in commands and workers.

    A parsed ``Locale`` (Flask-Babel takes it as it is): parsing the name
    again would look for Babel's data file on every request.
    """
    chosen = session.get("locale") if has_request_context() else None
    if chosen not in current_app.config["LANGUAGES"]:
        chosen = current_app.config["BABEL_DEFAULT_LOCALE"]
    return parsed_locale(chosen)


@cache
def parsed_locale(name: str) -> Locale:
    return Locale.parse(name)
