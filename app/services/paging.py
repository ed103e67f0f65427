"""Keyset paging by id, newest first: a page costs the same at the first row and the millionth."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from ..extensions import db


def newest_first(query: Select, id_column: Any, after: int | None, per_page: int) -> tuple[list, int | None]:
    """The rows of ``query`` older than the id ``after``, and the cursor of the next page (None: no more)."""
    if after:
        query = query.where(id_column < after)
    rows = list(db.session.scalars(query.order_by(id_column.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].id if more and rows else None)
