"""Reference data in the application cache: the published menu, the services, the districts, the settings.

They change a few times a year and are read on almost every page. They are
kept in Flask-Caching's cache (in each process in development and tests, in
Redis in production, where every app server sees the same copy). A change to
a category, a service, a district or a setting committed through the ORM deletes the
kept copies at once (the flush notes it, the commit deletes, a rollback does
not); a change made in the database by hand shows when
``CACHE_DEFAULT_TIMEOUT`` runs out. Besides data, one piece of HTML is kept
here: the whole menu's grid, per language, which shows nothing of who reads
it (``menu_grid``); nothing that can hold a user's data is ever kept.

A cache that cannot be reached is read around: the page reads the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import cache
from ..models import Category, District, Service, Setting, Team

T = TypeVar("T")
REFERENCE_MODELS = (Category, Service, District, Setting, Team)
KEYS = ("menu", "services", "districts", "settings", "teams", "clock_targets")

log = logging.getLogger(__name__)


def _key(name: str) -> str:
    return f"reference:{name}"


def kept(name: str, read: Callable[[], T]) -> T:
    """What ``read()`` returns, from the cache when it is there (``name`` is one of ``KEYS``)."""
    try:
        value = cache.get(_key(name))
    except Exception as err:  # the cache's backend is down: the database still answers
        log.warning("cache unavailable (%s); reading %s from the database", type(err).__name__, name)
        return read()
    if value is None:
        value = read()
        try:
            cache.set(_key(name), value)
        except Exception as err:
            log.warning("cache unavailable (%s); %s not kept", type(err).__name__, name)
    return value


def grid_key(language: str) -> str:
    """The name the whole menu's grid is kept under, in ``language``."""
    return f"menu_grid:{language}"


def forget() -> None:
    """Delete every kept copy: the next read takes the database's."""
    grids = [grid_key(language) for language in current_app.config["LANGUAGES"]]
    try:
        cache.delete_many(*(_key(name) for name in (*KEYS, *grids)))
    except RuntimeError:
        raise  # outside an application context: a mistake, not an outage
    except Exception as err:
        log.warning("cache unavailable (%s); reference data not deleted", type(err).__name__)


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
