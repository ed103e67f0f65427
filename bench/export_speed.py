#!/usr/bin/env python3
"""Export speed on a seeded database: the orders csv and xlsx against PostgreSQL's own COPY.

usage: DATABASE_URL=postgresql+psycopg://…/db .venv/bin/python bench/export_speed.py [ROWS]

Exports every order (or the newest ROWS) three ways in this process and prints rows per second
and how much the process's resident memory grew: ``COPY (the same query) TO STDOUT WITH (FORMAT
csv)`` read and dropped (the yardstick), the app's csv (``exports.csv_chunks``) and its xlsx
(``exports.write_xlsx`` in constant-memory mode).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import exports  # noqa: E402
from app.services.orders.history import HistoryFilter  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timed(label: str, rows: int, run) -> None:
    before, start = rss_mb(), time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    print(f"{label:28} {rows:>9,} rows {seconds:7.2f} s {rows / seconds:>10,.0f} rows/s"
          f"  memory +{rss_mb() - before:5.1f} MB")


def main() -> None:
    app = create_app()
    with app.test_request_context():
        columns = exports.order_columns(sees_contact=True)
        text_statement, params = exports.orders_statement(HistoryFilter(), columns, as_text=True)
        if len(sys.argv) > 1:
            text_statement = text_statement.limit(int(sys.argv[1]))
        rows = db.session.execute(text_statement.with_only_columns(*text_statement.selected_columns[:1])
                                  .order_by(None), params).all().__len__()

        def copy_only() -> None:
            for _chunk in exports._copy_chunks(text_statement, params):
                pass

        def app_csv() -> None:
            for _chunk in exports.csv_chunks(columns, text_statement, params):
                pass

        def app_xlsx() -> None:
            statement, xparams = exports.orders_statement(HistoryFilter(), columns, as_text=False)
            if len(sys.argv) > 1:
                statement = statement.limit(int(sys.argv[1]))
            path, _n = exports.write_xlsx(exports.orders_table(columns, statement, xparams, "orders"))
            os.unlink(path)

        if db.engine.dialect.name == "postgresql":
            timed("COPY … TO STDOUT (csv)", rows, copy_only)
        timed("app csv", rows, app_csv)
        timed("app xlsx", rows, app_xlsx)


if __name__ == "__main__":
    main()
