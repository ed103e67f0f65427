"""The page's chrome: head links, navigation bar, phone tab bar and footer.

The same for everyone with the same roles reading the same section in the
same language, so each part is rendered once per such key (``fragments``) and
only what is the user's own is filled in per request: the name, the CSRF
token, the current path and the unread count. The slots are filled in one
pass over the cached text, so a value can never be read as another slot.

A page whose content is the same for all its readers can be kept whole the
same way (``render_page``): rendered once with the chrome's slots left in
it, then filled per request.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

from flask import g, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .fragments import render_cached
from .templating import lang

_SLOT = re.compile("\ue000(\\w+)\ue000")
# What the cached text holds where a per-request value goes.
SLOTS = {name: f"\ue000{name}\ue000" for name in ("csrf", "path", "name", "unread", "url", "id")}


def unread_count() -> int:
    """The signed-in user's unread messages (counted with the user lookup), else 0."""
    if not current_user.is_authenticated:
        return 0
    unread = g.get("unread_notifications")
    if unread is None:
        from .services.notifications import unread_count as count

        unread = g.unread_notifications = count(current_user)
    return unread


def _section() -> dict:
    """Who reads which section: the navigation and the tab bar both read it, once a request."""
    section = g.get("chrome_section")
    if section is None:
        signed_in = current_user.is_authenticated
        section = g.chrome_section = {
            "signed_in": signed_in,
            "roles": frozenset(current_user.roles) if signed_in else frozenset(),
            "here": request.blueprint,
        }
    return section


def _fill(html: str, values: dict[str, str]) -> Markup:
    return Markup(_SLOT.sub(lambda m: values.get(m[1], m[0]), html))


class _SlotForm:
    """What ``post_button`` reads of a form, with the CSRF token left as a slot:
    for kept fragments that hold buttons (``with_csrf`` fills them in)."""

    csrf_token = Markup(f'<input id="csrf_token" name="csrf_token" type="hidden" value="{SLOTS["csrf"]}">')


SLOT_FORM = _SlotForm()


def blank_reason_box(url: str, label: str, cls: str, id: str) -> Markup:
    """An empty reason form (``_macros.reason_form``), rendered once per label and look."""
    from .forms import ReasonForm

    html = render_cached(
        "_chrome/reason_box.html", key=(label, cls), build=lambda: {"form": ReasonForm(formdata=None)},
        label=label, cls=cls, slots=SLOTS, slot_form=SLOT_FORM,
    )
    values = {"url": escape(url), "id": escape(id)}
    return _fill(html, values if _keeping_slots() else {**values, "csrf": generate_csrf()})


def with_csrf(html: Markup) -> Markup:
    """Kept HTML with this request's CSRF token in its slots."""
    return html if _keeping_slots() else _fill(html, {"csrf": generate_csrf()})


def _keeping_slots() -> bool:
    """Whether a whole page is being rendered to be kept: the request's own values are left as slots."""
    return g.get("keep_slots", False)


def _request_values(section: dict, unread: int) -> dict[str, str]:
    """What the chrome's slots hold for this request."""
    return {
        "csrf": generate_csrf(),
        "path": escape(request.full_path),
        "name": escape(current_user.name) if section["signed_in"] else "",
        "unread": _badge(unread),
    }


def navigation() -> Markup:
    section = _section()
    unread = unread_count()
    on_login = request.endpoint == "auth.login"
    html = render_cached(
        "_chrome/nav.html",
        key=(*section.values(), on_login, bool(unread)),
        **section, on_login=on_login, unread=bool(unread), lang=lang(), slots=SLOTS,
    )
    return html if _keeping_slots() else _fill(html, _request_values(section, unread))


def tabbar() -> Markup:
    section = _section()
    unread = unread_count()
    html = render_cached(
        "_chrome/tabbar.html",
        key=(*section.values(), bool(unread)),
        **section, unread=bool(unread), slots=SLOTS,
    )
    return _fill(html, {"unread": _badge(unread)}) if unread and not _keeping_slots() else html


def render_page(template: str, key: Hashable, **context) -> str:
    """``template`` kept whole: rendered once per ``key`` and chrome, its slots filled per request.

    For pages that show every reader the same content (``key`` holds all of
    it) apart from the chrome's per-request values. A page with a flashed
    message waiting is rendered afresh: the message is the reader's own and
    is shown once.
    """
    if "_flashes" in session:
        return render_template(template, **context)
    section = _section()
    unread = unread_count()
    g.keep_slots = True
    try:
        html = render_cached(template, key=(key, *section.values(), bool(unread)), **context)
    finally:
        g.keep_slots = False
    return _fill(html, _request_values(section, unread))


def styles() -> Markup:
    return render_cached("_chrome/styles.html", key=None)


def _badge(unread: int) -> str:
    return str(unread) if unread < 100 else "99+"
