"""批量导入: a dry run row by row, then all or nothing; people already here are updated, not doubled."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import AuditEntry, User, VolunteerProfile
from app.services import imports
from tests.conftest import csrf_token, make_user

HEADER = imports.COLUMNS["volunteers"]


def _csv(rows: list[tuple[str, ...]], header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _volunteer(name: str, phone: str, services: str = "交通安全法规宣讲", number: str = "11010519491231002X"):
    return (name, phone, "经开区工会", "经开区", "居民身份证", number, services, "宣讲队", "急救员证")


def _upload(client, kind: str, data: bytes, filename: str = "people.csv"):
    return client.post("/admin/import", data={"csrf_token": csrf_token(client, "/admin/import"), "kind": kind,
                                              "upload": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _people() -> int:
    return _db.session.scalar(select(func.count()).select_from(User))


def test_one_bad_row_imports_nothing_and_every_problem_is_named_by_its_row(db, users, login_as):
    admin = login_as("admin")
    before = _people()
    data = _csv([
        _volunteer("周一", "13977770001"),
        _volunteer("周二", "1397777", services="不存在的服务"),  # row 3: a short phone, an unknown service
        _volunteer("周三", "13977770001"),  # row 4: the phone of row 2
        _volunteer("周四", "13977770004", number="110105194912310021"),  # row 5: a wrong check digit
    ])
    response = _upload(admin, "volunteers", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="nothing-imported"' in page and 'data-testid="run-import"' not in page
    for line in (3, 4, 5):
        assert f'data-line="{line}" data-action="error"' in page, line
    assert "不存在的服务" in page and "第 2 行" in page  # the repeated phone names its first row
    assert _people() == before


def test_a_clean_file_is_imported_after_its_dry_run_and_only_once(db, users, login_as):
    admin = login_as("admin")
    existing = make_user("13977770009", "老用户", ["requester"])  # here already: updated, not added
    _db.session.commit()
    before = _people()
    data = _csv([_volunteer("周一", "13977770001"), _volunteer("周二", "13977770002", "垃圾分类指导、文明交通引导"),
                 _volunteer(existing.name, existing.phone)])
    dry = _upload(admin, "volunteers", data)
    assert dry.status_code == 200
    page = dry.get_data(as_text=True)
    assert 'data-action="update"' in page and page.count('data-action="create"') == 2
    assert _people() == before  # a dry run writes nothing
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_token(admin, "/admin/import"), "kind": "volunteers", "token": token}
    done = admin.post("/admin/import/run", data=form)
    assert done.status_code == 200
    body = done.get_data(as_text=True)
    assert 'data-testid="initial-password"' in body
    password = body.split('data-testid="initial-password">')[1].split("<")[0]
    assert _people() == before + 2
    profiles = _db.session.scalars(select(VolunteerProfile).join(VolunteerProfile.user)
                                   .where(User.phone.in_(["13977770001", "13977770002", existing.phone]))).all()
    assert {p.status for p in profiles} == {"approved"} and len(profiles) == 3
    assert len({p.volunteer_number for p in profiles}) == 3
    assert {s.name for p in profiles if p.user.phone == "13977770002" for s in p.services} == {"垃圾分类指导",
                                                                                               "文明交通引导"}
    new = _db.session.scalars(select(User).where(User.phone == "13977770001")).one()
    assert new.has_role("volunteer") and new.must_change_password and new.check_password(password)
    assert admin.post("/admin/import/run", data=form).status_code == 303  # the file is gone: not twice
    assert _people() == before + 2
    assert _db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "import.people")) is not None


def test_an_xlsx_from_the_template_is_read(db, users, login_as):
    admin = login_as("admin")
    template = admin.get("/admin/import/template-requesters.xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.get_data()))
    sheet = book.active
    assert [c.value for c in sheet[1]] == list(imports.COLUMNS["requesters"])
    sheet.append(["钱五", "13977770005", "星河电子有限公司", "经开区"])
    sheet.delete_rows(2)  # the example row
    out = io.BytesIO()
    book.save(out)
    dry = _upload(admin, "requesters", out.getvalue(), "people.xlsx")
    assert dry.status_code == 200 and 'data-action="create"' in dry.get_data(as_text=True)


def test_a_file_that_is_not_a_table_is_refused_beside_the_field(db, users, login_as):
    admin = login_as("admin")
    response = _upload(admin, "requesters", b"\x89PNG not a table", "people.xlsx")
    assert response.status_code == 422 and 'data-testid="error-upload"' in response.get_data(as_text=True)
    wrong_header = _upload(admin, "requesters", _csv([("a", "b")], header=("name", "phone")))
    assert "手机号" in wrong_header.get_data(as_text=True)


def test_an_import_takes_as_many_statements_for_fifty_rows_as_for_five(db, users, app):
    from tests.conftest import recording_statements

    def statements(n: int, offset: int) -> int:
        rows = [(line, dict(zip(HEADER, _volunteer(f"批{offset + line}", f"1396{offset + line:07d}"), strict=True)))
                for line in range(2, n + 2)]
        with app.test_request_context(), recording_statements() as sent:
            _plan, result = imports.run("volunteers", rows, users["admin"])
        assert result is not None and result.created == n
        _db.session.rollback()
        return sent.count

    statements(1, 3000)  # the first also loads the administrator's row
    assert statements(50, 1000) == statements(5, 2000) <= 16
