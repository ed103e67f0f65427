"""The published menu, read as plain rows: cheap to fetch and usable as a cache key.

The whole menu is kept in each process for ``MENU_CACHE_SECONDS``: it changes a
few times a year and is read on every visit. A change flushed through the ORM
drops the kept copy at once (``forget_menu_on_change``); other processes read
the new menu when their copy expires.
"""

from __future__ import annotations

import time
from functools import cache
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Category, Service, ServiceStatus


class MenuCategory(NamedTuple):
    id: int
    name: str
    description: str
    icon: str


class MenuItem(NamedTuple):
    id: int
    name: str
    summary: str
    duration_minutes: int
    default_volunteers: int
    min_notice_days: int


MenuRows = tuple[tuple[MenuCategory, MenuItem], ...]


# Bumped when the menu changes; a kept copy of an older generation is not used.
_generation = 0


def published_menu(q: str = "") -> MenuRows:
    """Published services with their categories, in menu order; ``q`` filters by name.

    The rows are everything the menu page shows, so equal rows mean an equal
    page: the view keys its rendered fragment on them.
    """
    if q:
        return _read_menu(q)
    app = current_app._get_current_object()
    now = time.monotonic()
    kept = app.extensions.get("kept_menu")
    if kept is not None and kept[0] == _generation and now - kept[1] < app.config["MENU_CACHE_SECONDS"]:
        return kept[2]
    generation = _generation
    rows = _read_menu("")
    app.extensions["kept_menu"] = (generation, now, rows)
    return rows


def forget_menu() -> None:
    global _generation
    _generation += 1


@event.listens_for(Session, "after_flush")
def _note_menu_change(session: Session, _context) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, (Category, Service)) for obj in changed):
        session.info["menu_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_menu(session: Session) -> None:
    if session.info.pop("menu_changed", False):
        forget_menu()


@event.listens_for(Session, "after_rollback")
def _keep_menu(session: Session) -> None:
    session.info.pop("menu_changed", None)


def _read_menu(q: str) -> MenuRows:
    query = _menu_query()
    if q:
        query = query.where(Service.name.contains(q, autoescape=True))
    return tuple(
        (MenuCategory(*row[:4]), MenuItem(*row[4:])) for row in db.session.execute(query)
    )


@cache
def _menu_query() -> Select:
    """Built once and reused, so SQLAlchemy finds its compiled form without work."""
    return (
        select(
            Category.id, Category.name, Category.description, Category.icon,
            Service.id, Service.name, Service.summary, Service.duration_minutes,
            Service.default_volunteers, Service.min_notice_days,
        )
        .join(Service.category)
        .where(Service.status == ServiceStatus.PUBLISHED.value)
        .order_by(Category.position, Category.id, Service.position, Service.id)
    )


def grouped(rows: MenuRows) -> dict[MenuCategory, list[MenuItem]]:
    by_category: dict[MenuCategory, list[MenuItem]] = {}
    for category, item in rows:
        by_category.setdefault(category, []).append(item)
    return by_category
