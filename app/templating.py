"""Template globals and filters: labels, colours, Beijing-time dates, what the workflow allows, who is signed in."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g, url_for
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from . import labels, workflow
from .assets import asset_url
from .auth.sessions import Visitor, unread_count
from .dates import format_elapsed, format_moment
from .i18n import language_context, page_catalog, template_gettext, template_ngettext
from .icons import icon
from .models.base import utcnow
from .models.orders import order_number
from .models.users import mask_phone

_BADGE = Markup('<span class="badge text-bg-{} state-badge" data-state="{}"{}>{}</span>')
_TESTID = Markup(' data-testid="{}"')


@pass_context
def beijing(context: Context, value: date | datetime | None, kind: str = "datetime") -> str:
    """A date or a UTC time in Beijing time, written the user's way.

    ``kind``: date, weekday (date with the day of the week), time, datetime,
    or short (month, day and time; the year only when it is not this year).
    """
    if value is None:
        return ""
    return format_moment(value, kind, context.get("locale"))


@pass_context
def state_badge(context: Context, state: str, kind: str = "order", testid: str | None = None) -> Markup:
    """The coloured badge of an order or assignment state; every part escaped by ``Markup.format``."""
    words = (labels.ORDER_STATES if kind == "order" else labels.ASSIGNMENT_STATES).get(state, state)
    words = page_catalog(context).ugettext(words)
    extra = _TESTID.format(testid) if testid else ""
    return _BADGE.format(labels.STATE_COLOURS.get(state, "secondary"), state, extra, words)


@pass_context
def waited(context: Context, since: datetime) -> str:
    """How long ago: "3天" / "3 days"."""
    return format_elapsed(utcnow() - since, context.get("locale"))


_CLOCK = Markup('<span class="badge {} sla-clock" data-testid="sla-clock" data-clock="{}" title="{}">{}</span>')


@pass_context
def clock_badge(context: Context, clock, now: datetime) -> Markup:
    """An order's 时限 clock: green or amber with the time left, red with the time past (``services.sla.Clock``)."""
    catalog, locale = page_catalog(context), context.get("locale")
    if clock.breached(now):
        words = catalog.ugettext(labels.CLOCK_PAST) % {"t": format_elapsed(now - clock.due_at, locale)}
    else:
        words = catalog.ugettext(labels.CLOCK_LEFT) % {"t": format_elapsed(clock.due_at - now, locale)}
    title = catalog.ugettext(labels.CLOCKS[clock.kind]) + " · " + format_moment(clock.due_at, "short", locale)
    return _CLOCK.format(clock.badge(now), clock.kind, title, words)


def unread_badge(unread: int) -> str:
    return str(unread) if unread < 100 else "99+"


def notification_text(n) -> str:
    if n.order_id is None:  # about the person's volunteer application, or a wish
        return str(labels.VOLUNTEER_NOTICES.get(n.kind) or labels.NOTIFICATIONS.get(n.kind, n.kind))
    template = labels.NOTIFICATIONS.get(n.kind)
    return str(template) % {"number": n.order.number} if template else n.kind


def notification_link(n) -> str:
    """Each reader goes to the page of the order they are allowed to see."""
    if n.kind in ("wish_submitted", "wish_answered"):
        return url_for("coordinator.wishes_list")
    if n.kind in ("wish_rejected", "wish_asked"):
        return url_for("requester.wishes_page")
    if n.order_id is None:
        return url_for("volunteer.apply")  # the application, or the profile once approved
    if n.kind == "star_reached":
        return url_for("volunteer.hours")
    if n.kind in ("unconfirmed", "not_checked_in", "sla_breach", "sla_escalation"):  # the desk's flags
        return url_for("coordinator.order", order_id=n.order_id)
    event = n.event
    if event is None:  # a reminder: the requester's order page, or the volunteer's jobs
        return url_for("requester.order", order_id=n.order_id) if n.order.requester_id == n.user_id \
            else url_for("volunteer.jobs")
    if event.assignment is not None and event.assignment.volunteer_id == n.user_id:
        return url_for("volunteer.job", assignment_id=event.assignment_id)
    if n.order.requester_id == n.user_id:
        return url_for("requester.order", order_id=n.order_id)
    return url_for("coordinator.order", order_id=n.order_id)


def blank_reason_form(action: str | None = None, role: str | None = None):
    """An empty reason form for a page that shows the reason box before any answer (with only the
    reasons that fit ``action`` done as ``role``, when they are named)."""
    from .forms import ReasonForm, reason_form_for

    return reason_form_for(action, role, formdata=None) if action and role else ReasonForm(formdata=None)


def show_as_anonymous() -> None:
    """The page being rendered shows nobody signed in (the database is gone: nothing to load)."""
    g.show_as_anonymous = True


def chrome_context() -> dict:
    """Who the chrome shows as signed in: the current user, unless the page must not load them."""
    return {"viewer": Visitor() if g.get("show_as_anonymous") else current_user}


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        get_locale=get_locale,
        labels=labels,
        can=workflow.can,
        allowed_actions=workflow.allowed_actions,
        mask=mask_phone,
        state_badge=state_badge,
        waited=waited,
        clock_badge=clock_badge,
        unread_count=unread_count,
        unread_badge=unread_badge,
        notification_text=notification_text,
        notification_link=notification_link,
        blank_reason_form=blank_reason_form,
        is_open=workflow.is_open,
        takes_offers=workflow.takes_offers,
        order_number=order_number,
        icon=icon,
        asset_url=asset_url,
    )
    # Flask-Babel's own template callables find the catalog anew for each string.
    app.jinja_env.install_gettext_callables(template_gettext, template_ngettext, newstyle=True)
    app.jinja_env.filters["bj"] = beijing
    app.context_processor(chrome_context)
    app.context_processor(language_context)
