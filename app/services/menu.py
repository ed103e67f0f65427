"""The published menu: the categories and their services, as plain data kept in the cache."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Category, Service, ServiceStatus
from .reference import kept

MenuCategory = dict[str, Any]  # id, name, description, icon, services: [id, name, summary, ...]


def published_menu(q: str = "") -> list[MenuCategory]:
    """Published services grouped by category, in menu order; ``q`` filters by name.

    The whole menu is kept in the cache (``reference.kept``); a search reads the database.
    """
    if q:
        return _read_menu(q)
    return kept("menu", lambda: _read_menu(""))


def services_by_category() -> tuple[tuple[int, str, int, str], ...]:
    """(category id, category name, service id, service name) of every service, in menu order: the
    filters of the numbers and the queue, which find the orders of any service ever ordered."""
    return kept("services", lambda: tuple(tuple(row) for row in db.session.execute(_services_query())))


def orderable_by_category() -> tuple[tuple[int, str, int, str], ...]:
    """The same, of the services anyone may order now (published, on the menu): what the desk orders."""
    return kept("orderable_services", lambda: tuple(tuple(row) for row in db.session.execute(
        _services_query().where(Service.status == ServiceStatus.PUBLISHED.value, Service.one_off.is_(False)))))


def category_pairs(rows: tuple[tuple[int, str, int, str], ...]) -> list[tuple[int, str]]:
    """(category id, name) of ``rows`` (as ``services_by_category`` gives them), once each, in menu order."""
    return list(dict.fromkeys((c, n) for c, n, _s, _m in rows))


@cache
def _services_query() -> Select:
    return (
        select(Category.id, Category.name, Service.id, Service.name)
        .join(Service, Service.category_id == Category.id)
        .order_by(Category.position, Category.id, Service.position, Service.id)
    )


def _read_menu(q: str) -> list[MenuCategory]:
    query = _menu_query()
    if q:
        query = query.where(Service.name.contains(q, autoescape=True))
    categories: dict[int, MenuCategory] = {}
    for row in db.session.execute(query).mappings():
        category = categories.get(row["category_id"])
        if category is None:
            category = categories[row["category_id"]] = {
                "id": row["category_id"], "name": row["category_name"],
                "description": row["description"], "icon": row["icon"], "services": [],
            }
        category["services"].append({
            key: row[key] for key in ("id", "name", "summary", "duration_minutes",
                                      "default_volunteers", "min_notice_days")
        })
    return list(categories.values())


@cache
def _menu_query() -> Select:
    """Built once and reused, so SQLAlchemy finds its compiled form without work."""
    return (
        select(
            Category.id.label("category_id"), Category.name.label("category_name"), Category.description,
            Category.icon, Service.id, Service.name, Service.summary, Service.duration_minutes,
            Service.default_volunteers, Service.min_notice_days,
        )
        .join(Service.category)
        .where(Service.status == ServiceStatus.PUBLISHED.value, Service.one_off.is_(False))
        .order_by(Category.position, Category.id, Service.position, Service.id)
    )
