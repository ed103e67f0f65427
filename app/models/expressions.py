"""SQL expressions the hot queries share, written so their compiled form is used as it is.

SQLAlchemy keeps each statement's compiled SQL, but a few constructs leave a
placeholder to be rewritten into the SQL text on every execution ("post
compile"): an ``IN`` over a Python tuple (an expanding parameter), a
``literal_execute`` parameter, and the separator of ``aggregate_strings``.
Each rewrite costs about as much as running a small query on SQLite. For the
code's own constants (states, roles) the values are written into the SQL
once instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Float, String, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

_WORD = re.compile(r"[a-z_]+")


def in_constants(column: ColumnElement, values: Iterable[str]) -> ColumnElement[bool]:
    """``column IN ('a', 'b')`` with the values written into the SQL.

    Only for the code's own words (lower-case letters and underscores), which
    need no escaping; anything else is refused.
    """
    words = tuple(values)
    if not words or not all(_WORD.fullmatch(word) for word in words):
        raise ValueError(f"not a list of code constants: {words!r}")
    return column.in_([literal_column(f"'{word}'", String) for word in words])


class comma_joined(FunctionElement):
    """The strings of a group joined with commas: ``group_concat`` on SQLite, ``string_agg`` on PostgreSQL."""

    type = String()
    inherit_cache = True
    name = "comma_joined"


@compiles(comma_joined)
def _comma_joined_sqlite(element, compiler, **kw) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ',')"


@compiles(comma_joined, "postgresql")
def _comma_joined_postgresql(element, compiler, **kw) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ',')"


class beijing_text(FunctionElement):
    """A UTC moment as Beijing wall-clock text, ``2026-12-03 09:30`` (exports): Beijing keeps no
    summer time, so eight hours on is exact."""

    type = String()
    inherit_cache = True
    name = "beijing_text"


@compiles(beijing_text)
def _beijing_text_sqlite(element, compiler, **kw) -> str:
    return f"strftime('%Y-%m-%d %H:%M', {compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_text, "postgresql")
def _beijing_text_postgresql(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')"


class excel_moment(FunctionElement):
    """A UTC moment as a spreadsheet's date number in Beijing time (days since 1899-12-30, the
    time of day as the fraction): an xlsx cell with a date format shows it as a date, and a number
    is written many times faster than a datetime converted in Python."""

    type = Float()
    inherit_cache = True
    name = "excel_moment"


@compiles(excel_moment)
def _excel_moment_sqlite(element, compiler, **kw) -> str:
    return f"(julianday({compiler.process(element.clauses, **kw)}) - 2415018.5 + 8 / 24.0)"


@compiles(excel_moment, "postgresql")
def _excel_moment_postgresql(element, compiler, **kw) -> str:
    return f"(date_part('epoch', {compiler.process(element.clauses, **kw)}) / 86400.0 + 25569 + 8 / 24.0)"


class beijing_day_code(FunctionElement):
    """The Beijing day of a UTC moment as ``yymmdd`` (the first part of an order number)."""

    type = String()
    inherit_cache = True
    name = "beijing_day_code"


@compiles(beijing_day_code)
def _beijing_day_code_sqlite(element, compiler, **kw) -> str:
    return f"substr(strftime('%Y%m%d', {compiler.process(element.clauses, **kw)}, '+8 hours'), 3)"


@compiles(beijing_day_code, "postgresql")
def _beijing_day_code_postgresql(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai', 'YYMMDD')"


class beijing_day(FunctionElement):
    """The Beijing day of a UTC moment as ``YYYY-MM-DD`` text (a period's figures are grouped by it)."""

    type = String()
    inherit_cache = True
    name = "beijing_day"


@compiles(beijing_day)
def _beijing_day_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _beijing_day_postgresql(element, compiler, **kw) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"


class hours_between(FunctionElement):
    """``later - earlier`` in hours, as a number (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(hours_between)
def _hours_between_sqlite(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({later}) - julianday({earlier})) * 24.0)"


@compiles(hours_between, "postgresql")
def _hours_between_postgresql(element, compiler, **kw) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    # date_part gives a double; extract would give a numeric, twice as slow to sort for a percentile.
    return f"(date_part('epoch', {later} - {earlier}) / 3600.0)"
