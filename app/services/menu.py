"""The published menu, read as plain rows: cheap to fetch and usable as a cache key."""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from sqlalchemy import Select, select

from ..extensions import read_rows
from ..models import Category, Service, ServiceStatus
from .reference import kept


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


def published_menu(q: str = "") -> MenuRows:
    """Published services with their categories, in menu order; ``q`` filters by name.

    The rows are everything the menu page shows, so equal rows mean an equal
    page: the view keys its rendered fragment on them. The whole menu is kept
    (``reference.kept``); a search reads the database.
    """
    if q:
        return _read_menu(q)
    return kept("menu", lambda: _read_menu(""))


def services_by_category() -> tuple[tuple[int, str, int, str], ...]:
    """(category id, category name, service id, service name) of every service, in menu order."""
    return kept("services", lambda: tuple(tuple(row) for row in read_rows(_services_query())))


@cache
def _services_query() -> Select:
    return (
        select(Category.id, Category.name, Service.id, Service.name)
        .join(Service, Service.category_id == Category.id)
        .order_by(Category.position, Category.id, Service.position, Service.id)
    )


def _read_menu(q: str) -> MenuRows:
    query = _menu_query()
    if q:
        query = query.where(Service.name.contains(q, autoescape=True))
    return tuple(
        (MenuCategory(*row[:4]), MenuItem(*row[4:])) for row in read_rows(query)
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
