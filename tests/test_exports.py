"""Exports: what the history's filters keep, as csv and xlsx, safe to open, and written in the audit log."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import literal, select, update

from app.dates import BEIJING
from app.extensions import db as _db
from app.models import AuditEntry, Order
from app.services.exports import FORMULA_STARTS, neutralised
from tests.conftest import csrf_token


def _export(client, url: str):
    """Exports are POSTs (each is written in the audit log): the filters ride in the query string."""
    return client.post(url, data={"csrf_token": csrf_token(client)})


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode()), "a byte-order mark, so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_a_cell_that_starts_like_a_formula_is_neutralised(db, start):
    text = f"{start}HYPERLINK(\"http://x\")"
    assert _db.session.scalar(select(neutralised(literal(text)))) == "'" + text
    assert _db.session.scalar(select(neutralised(literal("亦庄" + text)))) == "亦庄" + text


def test_the_csv_holds_the_filtered_orders_in_chinese_with_beijing_times(db, login_as, make_order):
    rated, _other = make_order("rated"), make_order("submitted")
    response = _export(login_as("coordinator"), "/dispatch/history/export.csv?state=rated")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = _csv(response)
    assert header[:4] == ["订单编号", "状态", "类别", "服务项目"]
    assert [r[0] for r in rows] == [rated.number]
    row = dict(zip(header, rows[0], strict=True))
    assert row["状态"] == "已评价" and row["评分"] == "5" and row["时长"] == "2.0"
    assert row["开始时间"] == f"{rated.starts_at.astimezone(BEIJING):%Y-%m-%d %H:%M}"
    assert row["联系电话"] == rated.contact_phone  # the coordinator calls the requester


def test_typed_formulas_leave_the_csv_and_the_xlsx_as_text(db, login_as, make_order):
    order = make_order("submitted")
    _db.session.execute(update(Order).where(Order.id == order.id).values(unit="=cmd|' /C calc'!A0"))
    _db.session.commit()
    client = login_as("coordinator")
    header, row = _csv(_export(client, "/dispatch/history/export.csv"))
    assert row[header.index("单位")] == "'=cmd|' /C calc'!A0"
    book = openpyxl.load_workbook(io.BytesIO(_export(client, "/dispatch/history/export.xlsx").get_data()))
    sheet = book.active
    cell = sheet.cell(2, [c.value for c in sheet[1]].index("单位") + 1)
    assert cell.data_type == "s" and cell.value == "'=cmd|' /C calc'!A0"


def test_the_xlsx_has_dates_as_dates_and_the_same_rows_as_the_csv(db, login_as, make_order):
    made = [make_order(s) for s in ("rated", "cancelled", "accepted")]
    client = login_as("coordinator")
    response = _export(client, "/dispatch/history/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    assert [r["订单编号"] for r in rows] == [o.number for o in reversed(made)]
    starts = rows[-1]["开始时间"]
    assert isinstance(starts, datetime)
    assert abs(starts - made[0].starts_at.astimezone(BEIJING).replace(tzinfo=None)).total_seconds() < 1
    assert sum(r["时长"] or 0 for r in rows) == 2.0
    csv_rows = _csv(_export(client, "/dispatch/history/export.csv"))[1:]
    assert [r[0] for r in csv_rows] == [r["订单编号"] for r in rows]


def test_every_export_is_written_in_the_audit_log(db, login_as, make_order, users):
    make_order()
    client = login_as("coordinator")
    _export(client, "/dispatch/history/export.csv?state=submitted")
    entry = _db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export.orders")).one()
    assert entry.actor_id == users["coordinator"].id and entry.target_key == "csv"
    assert '"state": "submitted"' in entry.after


def test_exports_are_for_the_desk_only(db, login_as, make_order):
    make_order()
    for role in ("requester", "volunteer"):
        assert _export(login_as(role), "/dispatch/history/export.csv").status_code == 403


def _xlsx_rows(response) -> list[dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]


def test_hours_per_volunteer_add_up_to_the_dashboards_hours(db, login_as, make_order, users):
    from app.services import reports

    make_order("rated", needed=2)
    make_order("confirmed")
    client = login_as("admin")
    rows = _xlsx_rows(_export(client, "/reports/export/hours.xlsx"))
    today = datetime.now(BEIJING).date()
    assert sum(r["本期时长"] for r in rows) == float(reports.figures(reports.period_of("month", today)).hours) == 6.0
    mine = next(r for r in rows if r["姓名"] == users["volunteer"].name)
    assert (mine["本期时长"], mine["本期服务次数"]) == (4.0, 2)
    header, *lines = _csv(_export(client, "/reports/export/hours.csv"))
    assert header[:2] == ["志愿者编号", "姓名"] and len(lines) == len(rows)


def test_the_menu_analysis_and_reasons_export_what_the_page_counts(db, login_as, make_order):
    make_order("rejected")
    make_order("rated")
    client = login_as("coordinator")
    services = _xlsx_rows(_export(client, "/reports/export/services.xlsx?period=year"))
    assert sum(r["订单"] for r in services) == 2 and len(services) >= 35
    reasons = _xlsx_rows(_export(client, "/reports/export/reasons.xlsx?period=year"))
    counted = [(r["环节"], r["提出方"], r["原因"], r["次数"]) for r in reasons]
    assert counted == [("已驳回", "中心调度", "超出服务菜单范围", 1)]
    kinds = set(_db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("export.%"))))
    assert kinds == {"export.services", "export.reasons"}


def test_figures_typed_by_people_are_neutralised_in_tables_too():
    from app.services.exports import Table, neutralise, table_csv_chunks

    assert neutralise("=1+1") == "'=1+1" and neutralise("@SUM(A1)") == "'@SUM(A1)" and neutralise(3) == 3
    body = b"".join(table_csv_chunks(Table("t", ["a"], [("-2+3",), ("亦庄",)]))).decode("utf-8-sig")
    assert body.splitlines() == ["a", "'-2+3", "亦庄"]


def test_the_monthly_report_prints_the_months_figures(db, login_as, make_order):
    make_order("rated")
    page = login_as("coordinator").get("/reports/monthly").get_data(as_text=True)
    assert "志愿服务工作报告" in page and 'data-testid="top-volunteers"' in page and "李华" in page
    assert "css/report" in page  # the print layout


def test_the_monthly_report_as_pdf_carries_the_same_figures_and_the_trend_as_a_table(db, login_as, make_order):
    make_order("rated")
    client = login_as("coordinator")
    page = client.get("/reports/monthly").get_data(as_text=True)
    assert 'data-testid="monthly-pdf"' in page
    got = client.get("/reports/monthly.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf" and "no-store" in got.headers["Cache-Control"]
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages).split())
    for shown in ("志愿服务工作报告", "李华", "交通安全法规宣讲", "2.0"):
        assert shown in text, shown
    assert login_as("requester").get("/reports/monthly.pdf").status_code == 403


def test_a_large_xlsx_is_made_by_the_worker_and_only_its_asker_downloads_it(app, db, login_as, make_order, users):
    from app.models import ExportJob
    from app.services import export_jobs

    made = [make_order(s) for s in ("rated", "submitted", "cancelled")]
    client = login_as("coordinator")
    app.config["EXPORT_INLINE_ROWS"], inline = 2, app.config["EXPORT_INLINE_ROWS"]
    try:
        asked = _export(client, "/dispatch/history/export.xlsx?overdue=")
        assert asked.status_code == 303
        job = _db.session.scalars(select(ExportJob)).one()
        page = client.get(asked.location).get_data(as_text=True)
        assert 'data-state="queued"' in page and 'http-equiv="refresh"' in page
        assert client.get(f"/dispatch/exports/{job.id}/file").status_code == 404  # not made yet
        assert export_jobs.run_all() == 1 and export_jobs.run_all() == 0  # made once
        _db.session.refresh(job)
        assert (job.status, job.rows) == ("done", 3)
        page = client.get(asked.location).get_data(as_text=True)
        assert 'data-testid="export-download"' in page and 'http-equiv="refresh"' not in page
        rows = _xlsx_rows(client.get(f"/dispatch/exports/{job.id}/file"))
        assert [r["订单编号"] for r in rows] == [o.number for o in reversed(made)]
        other = make_user_client(app, users)
        assert other.get(f"/dispatch/exports/{job.id}").status_code == 404  # another coordinator's job
        assert other.get(f"/dispatch/exports/{job.id}/file").status_code == 404
    finally:
        app.config["EXPORT_INLINE_ROWS"] = inline


def make_user_client(app, users):
    from tests.conftest import login, make_user

    make_user("13800000077", "另一位调度", ["coordinator"])
    _db.session.commit()
    client = app.test_client()
    assert login(client, "13800000077").status_code == 302
    return client


def test_a_small_xlsx_is_answered_at_once(db, login_as, make_order):
    make_order()
    response = _export(login_as("coordinator"), "/dispatch/history/export.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
