"""Exports (导出): the orders a filter keeps, as .csv or .xlsx, with Chinese headers.

One list of columns (``order_columns``) makes both files. Every text cell is
made safe in SQL (``neutralised``: a cell a spreadsheet would read as a
formula gets a leading apostrophe), so that the rule holds for every way a
file is written. A csv streams: on PostgreSQL the rows come from the
database's own ``COPY … TO STDOUT`` in chunks; elsewhere a server-side
cursor feeds Python's csv writer. An xlsx is written by XlsxWriter in
constant-memory mode to a temporary file, then sent.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, case, cast, func, literal, select
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .. import labels
from ..extensions import db
from ..models import Category, District, Order, Rating, Service, User
from ..models.expressions import beijing_day_code, beijing_text, excel_moment
from .orders.history import HistoryFilter, crew_hours_column, kept_ids

# What a spreadsheet reads as the start of a formula (OWASP's list): such a cell gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 2000
BOM = "\ufeff"  # so that Excel opens the UTF-8 file as UTF-8
DATE_FORMAT = "yyyy-mm-dd hh:mm"
PROGRESS_EVERY = 10000


def neutralised(text: ColumnElement) -> ColumnElement:
    """SQL: ``text``, with an apostrophe in front when it starts like a formula."""
    return case((func.substr(text, 1, 1).in_(FORMULA_STARTS), literal("'") + text), else_=text)


@dataclass(frozen=True)
class Column:
    header: str
    value: ColumnElement
    kind: str = "text"  # text, number or moment (a UTC datetime, shown in Beijing time)
    width: int = 12


def _order_number() -> ColumnElement:
    zeros = case((Order.id < 10, "0000"), (Order.id < 100, "000"), (Order.id < 1000, "00"),
                 (Order.id < 10000, "0"), else_="")
    return beijing_day_code(Order.submitted_at) + zeros + cast(Order.id, String)


def _state_words() -> ColumnElement:
    return case(*((Order.state == state, _(word)) for state, word in labels.ORDER_STATES.items()), else_=Order.state)


def order_columns(sees_contact: bool) -> list[Column]:
    """The orders export's columns, in the viewer's language; the contact only for who may see it."""
    columns = [
        Column(_("Order No."), _order_number(), width=14),
        Column(_("State"), _state_words(), width=10),
        Column(_("Category"), neutralised(Category.name), width=14),
        Column(_("Service"), neutralised(Service.name), width=24),
        Column(_("District"), neutralised(District.name), width=10),
        Column(_("Unit"), neutralised(Order.unit), width=24),
        Column(_("Requester"), neutralised(User.name), width=10),
    ]
    if sees_contact:
        columns += [
            Column(_("Contact"), neutralised(Order.contact_name), width=10),
            Column(_("Phone"), neutralised(Order.contact_phone), width=14),
            Column(_("Address"), neutralised(Order.address), width=30),
        ]
    return columns + [
        Column(_("Starts"), Order.starts_at, "moment", 17),
        Column(_("Ends"), Order.ends_at, "moment", 17),
        Column(_("Audience"), Order.audience_size, "number", 8),
        Column(_("Volunteers needed"), Order.needed, "number", 8),
        Column(_("Volunteers accepted"), Order.accepted_count, "number", 8),
        Column(_("Hours"), crew_hours_column(Order.id), "number", 8),
        Column(_("Rating"), Rating.stars, "number", 6),
        Column(_("Comment"), neutralised(Rating.comment), width=30),
        Column(_("Placed at"), Order.submitted_at, "moment", 17),
        Column(_("Overdue"), case((Order.overdue_at.is_not(None), _("Yes"))), width=6),
    ]


def orders_statement(f: HistoryFilter, columns: list[Column], as_text: bool) -> tuple[Select, dict]:
    """Every order ``f`` keeps, newest first, one row of ``columns`` each: moments as Beijing text
    for a csv (``as_text``), else as a spreadsheet's date numbers in Beijing time (an xlsx)."""
    ids, params = kept_ids(f)
    moment = beijing_text if as_text else excel_moment
    values = [moment(c.value) if c.kind == "moment" else c.value for c in columns]
    statement = (
        select(*values)
        .select_from(Order)
        .join(Service, Service.id == Order.service_id)
        .join(Category, Category.id == Service.category_id)
        .join(District, District.id == Order.district_id)
        .join(User, User.id == Order.requester_id)
        .outerjoin(Rating, Rating.order_id == Order.id)
        .where(Order.id.in_(ids))
        .order_by(Order.id.desc())
    )
    return statement, params


def _csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(values)
    return out.getvalue()


def _copy_chunks(statement: Select, params: dict) -> Iterator[bytes]:
    """PostgreSQL's own csv of ``statement``: ``COPY (…) TO STDOUT``, the parameters bound by psycopg."""
    import psycopg

    connection = db.session.connection()
    expanded = statement.compile(dialect=connection.dialect).construct_expanded_state(params)
    raw = connection.connection.dbapi_connection
    query = psycopg.ClientCursor(raw).mogrify(expanded.statement, expanded.parameters)
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            yield bytes(chunk)


def _python_chunks(statement: Select, params: dict) -> Iterator[bytes]:
    result = db.session.connection().execute(statement, params, execution_options={"yield_per": CSV_BATCH})
    for rows in result.partitions():
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        yield out.getvalue().encode()


def csv_chunks(columns: list[Column], statement: Select, params: dict) -> Iterator[bytes]:
    """The csv file, a chunk at a time: the byte-order mark and headers, then the rows as they are read."""
    yield (BOM + _csv_line(c.header for c in columns)).encode()
    copy = db.session.get_bind().dialect.name == "postgresql"
    yield from (_copy_chunks if copy else _python_chunks)(statement, params)


def neutralise(value: object) -> object:
    """``neutralised`` for a value computed in Python (the tables of figures): the same rule."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


@dataclass
class Table:
    """A table to export: headers, column widths and rows of plain values.

    ``kinds`` (text, number or moment per column) marks rows already made safe by their statement
    (``neutralised``, moments as date numbers): they are written cell by cell by type, the fast way
    for the orders; without it every value is checked and written by what it is (tables of figures).
    """

    title: str
    headers: list[str]
    rows: Iterable[Sequence[object]]
    widths: list[int] | None = None
    kinds: list[str] | None = None


def table_csv_chunks(table: Table) -> Iterator[bytes]:
    yield (BOM + _csv_line(table.headers)).encode()
    for row in table.rows:
        yield _csv_line(neutralise(v) for v in row).encode()


def write_xlsx(table: Table, progress: Callable[[int], Any] | None = None) -> tuple[str, int]:
    """The .xlsx file of a table, in a temporary file (its path, and the rows written); datetimes
    are written as dates. Constant memory: rows go to disk as they come."""
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    book = xlsxwriter.Workbook(handle.name, {
        "constant_memory": True, "default_date_format": DATE_FORMAT,
        # Text stays text: nothing typed by a person turns into a formula, a link or a number.
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    sheet = book.add_worksheet(table.title[:31])
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2"})
    for i, width in enumerate(table.widths or [14] * len(table.headers)):
        sheet.set_column(i, i, width)
    sheet.write_row(0, 0, table.headers, bold)
    sheet.freeze_panes(1, 0)
    if table.kinds:
        row_number = _write_typed_rows(sheet, table.rows, table.kinds, book.add_format({"num_format": DATE_FORMAT}),
                                       progress)
    else:
        row_number = _write_rows(sheet, table.rows, progress)
    book.close()
    return handle.name, row_number


def _write_rows(sheet: Worksheet, rows: Iterable[Sequence[object]], progress: Callable[[int], Any] | None) -> int:
    row_number = 0
    for row_number, row in enumerate(rows, start=1):
        sheet.write_row(row_number, 0, [neutralise(v) for v in row])
        if progress and row_number % PROGRESS_EVERY == 0:
            progress(row_number)
    return row_number


def _write_typed_rows(sheet: Worksheet, rows: Iterable[Sequence[object]], kinds: list[str], date_format: Format,
                      progress: Callable[[int], Any] | None) -> int:
    """Rows whose columns' types are known: each cell by its own writer (no type dispatch), moments
    as numbers in a date format, empty values left blank."""
    writers = {"text": (sheet.write_string, None), "number": (sheet.write_number, None),
               "moment": (sheet.write_number, date_format)}
    cells = [writers[kind] for kind in kinds]
    row_number = 0
    for row_number, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if value is not None:
                write, cell_format = cells[col]
                write(row_number, col, value, cell_format)
        if progress and row_number % PROGRESS_EVERY == 0:
            progress(row_number)
    return row_number


def read_ahead(batches: Iterator[Sequence]) -> Iterator[Sequence]:
    """``batches``, each next one read by a second thread while the caller works on the current one:
    the database (another process) prepares rows while the file is written. Only that thread touches
    ``batches`` (and so the connection behind it) until the end."""
    with ThreadPoolExecutor(max_workers=1) as reader:
        pending = reader.submit(next, batches, None)
        while (batch := pending.result()) is not None:
            pending = reader.submit(next, batches, None)
            yield batch


def orders_table(columns: list[Column], statement: Select, params: dict, title: str) -> Table:
    """The orders of ``statement`` (``orders_statement`` for an xlsx) as a table for ``write_xlsx``,
    read in batches."""

    def rows() -> Iterator[Sequence]:
        result = db.session.connection().execute(statement, params, execution_options={"yield_per": CSV_BATCH})
        for batch in read_ahead(result.partitions()):
            yield from batch

    return Table(title, [c.header for c in columns], rows(), [c.width for c in columns], [c.kind for c in columns])
