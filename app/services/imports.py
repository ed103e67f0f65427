"""批量导入: people from a .xlsx or .csv, a dry run first, then all or nothing.

The dry run reads every row and says what it will do (create, update) or what is wrong with it
(a bad phone number, an unknown district or service, a row repeated in the file, an ID number
that fails its check). Importing runs the same plan again against the database as it is then and
writes only when no row is wrong, in one transaction: one bad row imports nothing.

Everyone created in one import gets the same initial password, shown once to the administrator,
to be changed at the first sign-in (hashed once per import: 5 000 people do not cost 5 000 scrypt
runs). Volunteers imported by the center are approved at once, with their 志愿者编号.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..id_numbers import normalized, resident_id_problem
from ..models import District, Role, Service, User, UserRole, VolunteerProfile
from ..models.base import utcnow
from ..models.users import new_session_token, volunteer_services
from .accounts import temporary_password
from .audit import log_action
from .volunteers import next_number

PHONE = re.compile(r"^1[3-9]\d{9}$")
MAX_ROWS = 10_000
KINDS = ("requesters", "volunteers")
# The columns of each kind's file, as the template names them (the first row of the file).
COLUMNS: dict[str, tuple[str, ...]] = {
    "requesters": ("姓名", "手机号", "工作单位", "所在区"),
    "volunteers": ("姓名", "手机号", "工作单位", "所在区", "证件类型", "证件号码", "服务项目", "服务队", "技能与证书"),
}
EXAMPLES: dict[str, tuple[str, ...]] = {
    "requesters": ("张明", "13800000101", "北京亦庄智造科技有限公司", "经开区"),
    "volunteers": ("李华", "13800000102", "经开区工会", "经开区", "居民身份证", "110115198506151239",
                   "交通安全法规宣讲、垃圾分类指导", "亦联盟宣讲队", "急救员证"),
}
ID_TYPE_NAMES = {"居民身份证": "resident_id", "护照": "passport", "港澳居民来往内地通行证": "hk_macao_permit",
                 "台湾居民来往大陆通行证": "taiwan_permit", "其他": "other"}
SERVICE_SEPARATORS = re.compile(r"[、,，;；]")


class UnreadableFile(Exception):
    """The upload is not a .csv or .xlsx this page can read (the message says why)."""


@dataclass
class RowPlan:
    line: int  # the row's number in the file, the header being row 1
    values: dict[str, str]
    action: str = "create"  # create | update | error
    problems: list[str] = field(default_factory=list)
    user_id: int | None = None
    service_ids: list[int] = field(default_factory=list)


@dataclass
class ImportPlan:
    kind: str
    rows: list[RowPlan]

    @property
    def errors(self) -> list[RowPlan]:
        return [r for r in self.rows if r.problems]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors

    def shown(self, limit: int = 200) -> list[RowPlan]:
        """Every row with a problem, then the first ``limit`` rows without one."""
        return self.errors + [r for r in self.rows[:limit] if not r.problems]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action and not r.problems)


# --- reading ---------------------------------------------------------------------------------


def _cells(values: Iterable[object]) -> list[str]:
    return ["" if v is None else str(v).strip() for v in values]


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # not a workbook at all, whatever its name says
        raise UnreadableFile(_l("This is not an .xlsx file Excel or WPS saved.")) from error
    for row in book.worksheets[0].iter_rows(values_only=True):
        yield _cells(row)


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves csv as GBK unless told otherwise
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        yield from (_cells(row) for row in csv.reader(io.StringIO(text)))
        return
    raise UnreadableFile(_l("The csv file is neither UTF-8 nor GBK text."))


def read_rows(kind: str, filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line, values by column name) of each non-empty row under the header."""
    suffix = filename.rsplit(".", 1)[-1].lower()
    if suffix not in ("csv", "xlsx"):
        raise UnreadableFile(_l("Upload a .xlsx or .csv file made from the template."))
    rows = _xlsx_rows(data) if suffix == "xlsx" else _csv_rows(data)
    header = next(rows, [])
    missing = [c for c in COLUMNS[kind] if c not in header]
    if missing:
        raise UnreadableFile(_l("The first row must name the template's columns; missing: %(cols)s.",
                                cols="、".join(missing)))
    found = []
    for line, cells in enumerate(rows, start=2):
        if not any(cells):
            continue
        if len(found) >= MAX_ROWS:
            raise UnreadableFile(_l("At most %(n)d rows in one import.", n=MAX_ROWS))
        found.append((line, {c: cells[header.index(c)] if header.index(c) < len(cells) else ""
                             for c in COLUMNS[kind]}))
    if not found:
        raise UnreadableFile(_l("The file has no rows under its header."))
    return found


# --- planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    districts: dict[str, int]
    services: dict[str, int]
    users: dict[str, int]  # phone -> user id, of the phones in the file
    volunteers: set[int]  # user ids with a volunteer profile


def _known(phones: list[str]) -> _Known:
    users = dict(db.session.execute(select(User.phone, User.id).where(User.phone.in_(phones))).all()) if phones else {}
    return _Known(
        districts={n: i for i, n in db.session.execute(select(District.id, District.name))},
        services={n: i for i, n in db.session.execute(select(Service.id, Service.name))},
        users=users,
        volunteers=set(db.session.scalars(select(VolunteerProfile.user_id)
                                          .where(VolunteerProfile.user_id.in_(users.values())))) if users else set(),
    )


def _person_problems(row: RowPlan, known: _Known, seen: dict[str, int]) -> None:
    v = row.values
    if not v["姓名"] or len(v["姓名"]) > 40:
        row.problems.append(str(_l("A name of 1 to 40 characters.")))
    phone = v["手机号"]
    if not PHONE.match(phone):
        row.problems.append(str(_l("“%(v)s” is not an 11-digit mobile number.", v=phone)))
    elif phone in seen:
        row.problems.append(str(_l("The same phone number as row %(n)d.", n=seen[phone])))
    else:
        seen[phone] = row.line
    if len(v["工作单位"]) > 80:
        row.problems.append(str(_l("A work unit of at most 80 characters.")))
    if v["所在区"] and v["所在区"] not in known.districts:
        row.problems.append(str(_l("No district is called “%(v)s”.", v=v["所在区"])))
    row.user_id = known.users.get(phone)
    row.action = "update" if row.user_id else "create"


def _volunteer_problems(row: RowPlan, known: _Known) -> None:
    v = row.values
    id_type = ID_TYPE_NAMES.get(v["证件类型"] or "居民身份证")
    number = normalized(v["证件号码"])
    if id_type is None:
        row.problems.append(str(_l("No ID type is called “%(v)s”.", v=v["证件类型"])))
    elif id_type == "resident_id" and resident_id_problem(number):
        row.problems.append(str(_l("The resident ID number fails its check.")))
    elif not number:
        row.problems.append(str(_l("An ID number.")))
    names = [n.strip() for n in SERVICE_SEPARATORS.split(v["服务项目"]) if n.strip()]
    unknown = [n for n in names if n not in known.services]
    if unknown:
        row.problems.append(str(_l("No service is called %(v)s.", v="、".join(f"“{n}”" for n in unknown))))
    if not names:
        row.problems.append(str(_l("At least one service the volunteer can deliver.")))
    row.service_ids = [known.services[n] for n in names if n in known.services]
    if row.user_id in known.volunteers:
        row.problems.append(str(_l("Already a volunteer: change their profile in the back office instead.")))


def plan(kind: str, rows: list[tuple[int, dict[str, str]]]) -> ImportPlan:
    """What importing ``rows`` would do, row by row, with every problem of every row."""
    known = _known([v["手机号"] for _line, v in rows])
    seen: dict[str, int] = {}
    planned = []
    for line, values in rows:
        row = RowPlan(line, values)
        _person_problems(row, known, seen)
        if kind == "volunteers":
            _volunteer_problems(row, known)
        if row.problems:
            row.action = "error"
        planned.append(row)
    return ImportPlan(kind, planned)


# --- importing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    password: str | None  # the initial password of the accounts created, shown once


def _create_users(rows: list[RowPlan], known_districts: dict[str, int], password_hash: str, now: datetime) -> None:
    made = db.session.execute(
        insert(User).returning(User.id, User.phone),
        [{"phone": r.values["手机号"], "name": r.values["姓名"], "unit": r.values["工作单位"],
          "district_id": known_districts.get(r.values["所在区"]), "password_hash": password_hash,
          "active": True, "session_token": new_session_token(), "created_at": now, "must_change_password": True,
          "sms_opt_in": True} for r in rows],
    ).all()
    ids = dict((phone, uid) for uid, phone in made)
    for r in rows:
        r.user_id = ids[r.values["手机号"]]


def _give_roles(rows: list[RowPlan], role: str) -> None:
    have = set(db.session.scalars(select(UserRole.user_id).where(
        UserRole.user_id.in_([r.user_id for r in rows]), UserRole.role == role)))
    wanted = [{"user_id": r.user_id, "role": role} for r in rows if r.user_id not in have]
    if wanted:
        db.session.execute(insert(UserRole), wanted)


def _make_volunteers(rows: list[RowPlan], now: datetime) -> None:
    number = next_number(now.year)  # numbered on from the year's last, in the file's order
    prefix, first = number[:-5], int(number[-5:])
    profiles = db.session.execute(
        insert(VolunteerProfile).returning(VolunteerProfile.id, VolunteerProfile.user_id),
        [{"user_id": r.user_id, "status": "approved", "real_name": r.values["姓名"],
          "id_type": ID_TYPE_NAMES.get(r.values["证件类型"] or "居民身份证"),
          "id_number": normalized(r.values["证件号码"]), "team": r.values["服务队"][:80],
          "skills": r.values["技能与证书"][:500], "volunteer_number": f"{prefix}{first + i:05d}",
          "applied_at": now, "reviewed_at": now} for i, r in enumerate(rows)],
    ).all()
    by_user = dict((uid, pid) for pid, uid in profiles)
    links = [{"profile_id": by_user[r.user_id], "service_id": s} for r in rows for s in dict.fromkeys(r.service_ids)]
    if links:
        db.session.execute(insert(volunteer_services), links)


def run(kind: str, rows: list[tuple[int, dict[str, str]]], actor: User) -> tuple[ImportPlan, ImportResult | None]:
    """Plan again and, when no row is wrong, write every row; flushes, the caller commits (or rolls back)."""
    planned = plan(kind, rows)
    if not planned.ok:
        return planned, None
    now = utcnow()
    new = [r for r in planned.rows if r.action == "create"]
    password = temporary_password() if new else None
    districts = {n: i for i, n in db.session.execute(select(District.id, District.name))}
    if new:
        _create_users(new, districts, generate_password_hash(password, method="scrypt"), now)
    for r in planned.rows:
        if r.action == "update":
            db.session.execute(
                User.__table__.update().where(User.__table__.c.id == r.user_id).values(
                    name=r.values["姓名"], unit=r.values["工作单位"] or User.__table__.c.unit,
                    district_id=districts.get(r.values["所在区"], None) or User.__table__.c.district_id))
    _give_roles(planned.rows, Role.REQUESTER.value)
    if kind == "volunteers":
        _give_roles(planned.rows, Role.VOLUNTEER.value)
        _make_volunteers(planned.rows, now)
    log_action(actor, "import.people", "import", kind, label=str(len(planned.rows)),
               after={"created": len(new), "updated": planned.count("update")})
    return planned, ImportResult(len(new), planned.count("update"), password)


def template_rows(kind: str) -> list[tuple[str, ...]]:
    return [COLUMNS[kind], EXAMPLES[kind]]
