"""Bootstrap Icons drawn inline as SVG, from the sprite ``make assets`` builds (app/icons.svg).

An icon is a few hundred bytes of path data in the page instead of a 135 KB
icon font; it is always ``aria-hidden``: the words beside it say what it means.
"""

from __future__ import annotations

import logging
import os
import re
from functools import cache

from markupsafe import Markup

SPRITE = os.path.join(os.path.dirname(__file__), "icons.svg")
_SYMBOL = re.compile(r'<symbol id="([a-z0-9-]+)" viewBox="0 0 16 16">(.*?)</symbol>')
_SVG = Markup('<svg class="bi{}" viewBox="0 0 16 16" aria-hidden="true" focusable="false">{}</svg>')


@cache
def sprite() -> dict[str, Markup]:
    """Every icon of the sprite: name → its SVG content (read once per process)."""
    with open(SPRITE, encoding="utf-8") as fh:
        return {name: Markup(body) for name, body in _SYMBOL.findall(fh.read())}


def icon(name: str, classes: str = "") -> Markup:
    """The inline ``<svg>`` of Bootstrap Icon ``name``, with extra ``classes``.

    A name the sprite lacks draws nothing (and is logged): the tests name every
    icon a template or the menu data uses, so that only happens to a name typed
    into the data by hand; `make assets` adds it.
    """
    body = sprite().get(name)
    if body is None:
        logging.getLogger(__name__).warning("icon %r is not in app/icons.svg: run `make assets`", name)
        return Markup("")
    return _SVG.format(f" {classes}" if classes else "", body)
