"""Locale choice: Simplified Chinese unless the user picked English."""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.support import Translations
from flask import current_app, has_request_context, session
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context


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



def language_context() -> dict:
    """The locale and catalog of the page being rendered, asked of Flask-Babel once a render.

    A context processor: templates translate and write dates through them
    (``template_gettext``, the ``bj`` filter). Flask-Babel finds the catalog
    anew for each string, and a page has a few hundred; asked here, at render
    time, a block under ``force_locale`` still gets its own language.
    """
    return {"locale": get_locale(), "catalog": get_translations()}


def page_catalog(context: Context) -> Translations:
    return context.get("catalog") or get_translations()  # a macro imported without context: no catalog


@pass_context
def template_gettext(context: Context, message: str) -> str:
    return page_catalog(context).ugettext(message)


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return page_catalog(context).ungettext(singular, plural, n)
