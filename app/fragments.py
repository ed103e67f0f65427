"""Rendered template fragments kept in memory, keyed by everything they show.

A fragment's key holds the language and the data it was rendered from, so a
cached copy is never stale: changed data is a new key. Each process keeps at
most ``MAX_ENTRIES`` fragments and drops the oldest first.

Lists keep each row's HTML (``render_each``): a row is rendered once per
language and content, so a page of 20 cards costs 20 lookups, not 20
renderings. The row's key is everything the row shows; at most
``ROW_ENTRIES`` rows are kept, the oldest dropped first. A row costs about
1.5 KB with its key (its HTML as a Python string, the values it was
rendered from): 2 000 rows are ~3 MB a process, some 100 pages of rows;
the bound is what keeps a long-running worker's memory level.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from flask import render_template
from markupsafe import Markup

from .bounded import BoundedDict
from .templating import lang

MAX_ENTRIES = 256
ROW_ENTRIES = 2_000
_cache: BoundedDict[Hashable, Markup] = BoundedDict(MAX_ENTRIES)
_rows: BoundedDict[Hashable, str] = BoundedDict(ROW_ENTRIES)


def render_cached(template: str, key: Hashable, build: Callable[[], dict] | None = None, **context) -> Markup:
    """``template`` rendered with ``context`` (and what ``build()`` returns, called on a miss only)."""
    full_key = (template, lang(), key)
    html = _cache.get(full_key)
    if html is None:
        if build is not None:
            context = {**context, **build()}
        html = _cache.keep(full_key, Markup(render_template(template, **context)))
    return html


def render_each(template: str, items: Iterable[Hashable]) -> Markup:
    """``template`` rendered for each item (as ``item``), joined in order.

    The item must hold everything the template shows (and the template read
    nothing else but the language): equal items give equal HTML.
    """
    language = lang()
    parts = []
    for item in items:
        key = (template, language, item)
        html = _rows.get(key)
        if html is None:
            html = _rows.keep(key, render_template(template, item=item))
        parts.append(html)
    return Markup("".join(parts))


def clear() -> None:
    _cache.clear()
    _rows.clear()
