"""Reference data kept in each process: the menu, the services, the districts.

They change a few times a year and are read on almost every page. Each kept
copy lasts ``MENU_CACHE_SECONDS``; a change to a category, a service or a
district committed through the ORM drops every kept copy at once in the
process that made it (the flush notes it, the commit forgets, a rollback
does not); the other processes read the new data when their copies expire.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Category, District, Service

T = TypeVar("T")
REFERENCE_MODELS = (Category, Service, District)

# Bumped when reference data changes; a kept copy of an older generation is not used.
_generation = 0


def kept(name: str, read: Callable[[], T]) -> T:
    """What ``read()`` returns, read at most once per ``MENU_CACHE_SECONDS`` in this process."""
    app = current_app._get_current_object()
    store = app.extensions.setdefault("kept_reference", {})
    now = time.monotonic()
    copy = store.get(name)
    if copy is not None and copy[0] == _generation and now - copy[1] < app.config["MENU_CACHE_SECONDS"]:
        return copy[2]
    generation = _generation
    value = read()
    store[name] = (generation, now, value)
    return value


def forget() -> None:
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _note_change(session: Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, REFERENCE_MODELS) for obj in changed):
        session.info["reference_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_changed(session: Session) -> None:
    if session.info.pop("reference_changed", False):
        forget()


@event.listens_for(Session, "after_rollback")
def _keep(session: Session) -> None:
    session.info.pop("reference_changed", None)
