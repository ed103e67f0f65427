"""Rendered template fragments kept in memory, keyed by everything they show.

A fragment's key holds the language and the data it was rendered from, so a
cached copy is never stale: changed data is a new key. Each process keeps at
most ``MAX_ENTRIES`` fragments and drops the oldest first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from flask import render_template
from markupsafe import Markup

from .templating import lang

MAX_ENTRIES = 256
_cache: OrderedDict[Hashable, Markup] = OrderedDict()
_lock = Lock()


def render_cached(template: str, key: Hashable, build: Callable[[], dict] | None = None, **context) -> Markup:
    """``template`` rendered with ``context`` (and what ``build()`` returns, called on a miss only)."""
    full_key = (template, lang(), key)
    html = _cache.get(full_key)
    if html is None:
        if build is not None:
            context = {**context, **build()}
        html = Markup(render_template(template, **context))
        with _lock:
            _cache[full_key] = html
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
    return html


def clear() -> None:
    with _lock:
        _cache.clear()
