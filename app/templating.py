"""Template globals and filters: labels, colours, Beijing-time dates."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, url_for
from flask_babel import get_locale, get_translations
from jinja2 import Environment, pass_environment
from markupsafe import Markup

from . import labels, workflow
from .dates import format_elapsed, format_moment
from .models.users import mask_phone


def lang() -> str:
    """The user's language as "zh" or "en"."""
    return get_locale().language


def template_lang(env: Environment) -> str:
    """The language a template was compiled for (its environment's), else the request's."""
    return getattr(env, "lang", None) or lang()


@pass_environment
def beijing(env: Environment, value: date | datetime | None, kind: str = "datetime") -> str:
    """A date or a UTC time in Beijing time, written the user's way.

    ``kind``: date, weekday (date with the day of the week), time, datetime,
    or short (month, day and time; the year only when it is not this year).
    """
    if value is None:
        return ""
    return format_moment(value, kind)


def install_fast_gettext(app: Flask) -> None:
    """Runtime lookups (``_(variable)``) go straight to the catalog; literals are
    translated when templates compile (``app.translated_templates``)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )


_badges: dict[tuple[str, str, str, str | None], Markup] = {}
_BADGE = Markup('<span class="badge text-bg-{} state-badge" data-state="{}"{}>{}</span>')
_TESTID = Markup(' data-testid="{}"')


@pass_environment
def state_badge(env: Environment, state: str, kind: str = "order", testid: str | None = None) -> Markup:
    """The coloured badge of an order or assignment state, built once per language.

    Every part is escaped by ``Markup.format``; the words come from the catalog.
    """
    key = (template_lang(env), kind, state, testid)
    badge = _badges.get(key)
    if badge is None:
        words = (labels.ORDER_STATES if kind == "order" else labels.ASSIGNMENT_STATES).get(state, state)
        extra = _TESTID.format(testid) if testid else ""
        badge = _BADGE.format(labels.STATE_COLOURS.get(state, "secondary"), state, extra, str(words))
        if len(_badges) < 1000:  # states × kinds × languages × test ids: a few dozen
            _badges[key] = badge
    return badge


@pass_environment
def waited(env: Environment, since: datetime) -> str:
    """How long ago: "3天" / "3 days"."""
    from .models.base import utcnow

    return format_elapsed(utcnow() - since)


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
    from . import chrome  # it renders through fragments, which imports this module

    app.jinja_env.globals.update(
        get_locale=get_locale,
        labels=labels,
        can=workflow.can,
        allowed_actions=workflow.allowed_actions,
        mask=mask_phone,
        state_badge=state_badge,
        waited=waited,
        notification_text=notification_text,
        notification_link=notification_link,
        chrome=chrome,
    )
    app.jinja_env.filters["bj"] = beijing
    install_fast_gettext(app)
