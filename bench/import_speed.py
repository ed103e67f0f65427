#!/usr/bin/env python3
"""Bulk import speed: 5 000 volunteers from a .xlsx, read, checked (the dry run) and imported.

usage: DATABASE_URL=sqlite:////tmp/import.sqlite .venv/bin/python bench/import_speed.py [ROWS]
       (a migrated, seeded database: `flask db upgrade && flask seed`; the rows are rolled back)

Builds the file as an administrator would fill the template, then times each step in this process:
reading the workbook, the dry run (every row's checks against the database), and the import itself
(accounts, roles, approved profiles with their numbers and services) up to the commit, rolled back.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import xlsxwriter  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.id_numbers import check_digit  # noqa: E402
from app.models import Role, User, UserRole  # noqa: E402
from app.services import imports  # noqa: E402

SERVICES = ("交通安全法规宣讲、垃圾分类指导", "插花艺术体验", "急救知识与技能培训、心理健康辅导")


def workbook(rows: int) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, imports.COLUMNS["volunteers"])
    for i in range(rows):
        first17 = f"110115{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        sheet.write_row(i + 1, 0, (f"志愿者{i:05d}", f"1577{i:07d}", "经开区工会", "经开区", "居民身份证",
                                   first17 + check_digit(first17), SERVICES[i % 3], "亦联盟宣讲队", ""))
    book.close()
    return out.getvalue()


def step(label: str, rows: int, run):
    start = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - start
    print(f"{label:24} {rows:>7,} rows {seconds:7.2f} s {rows / seconds:>9,.0f} rows/s")
    return result, seconds


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app = create_app()
    with app.app_context():
        admin = db.session.scalar(select(User).join(UserRole).where(UserRole.role == Role.ADMIN.value))
        data = workbook(rows)
        print(f"{db.engine.dialect.name}; a workbook of {len(data) / 1024:.0f} KB")
        read, t1 = step("read the workbook", rows, lambda: imports.read_rows("volunteers", "v.xlsx", data))
        planned, t2 = step("dry run", rows, lambda: imports.plan("volunteers", read))
        assert planned.ok, [(r.line, r.problems) for r in planned.errors[:5]]
        (_plan, result), t3 = step("import (to the commit)", rows, lambda: imports.run("volunteers", read, admin))
        db.session.rollback()
        print(f"{'all of it':24} {rows:>7,} rows {t1 + t2 + t3:7.2f} s   (created {result.created})")


if __name__ == "__main__":
    main()
