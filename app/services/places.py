"""Districts, as the forms and filters list them (kept in the application cache)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import District
from .reference import kept


def district_pairs() -> tuple[tuple[int, str], ...]:
    """(id, name) of every district, in the order the center lists them."""
    return kept("districts", lambda: tuple(
        (i, n) for i, n in db.session.execute(select(District.id, District.name).order_by(District.position))
    ))
