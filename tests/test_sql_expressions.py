"""The hot pages' statements are used as compiled: nothing rewritten into their SQL per execution."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import literal, select

from app.auth.sessions import _user_by_token
from app.models import UserRole
from app.models.base import UTCDateTime
from app.models.expressions import comma_joined, excel_moment, in_constants
from app.services import matching
from app.services.orders import events, jobs, ordering, queue


def _rewritten_per_execution(statement, dialect) -> list[str]:
    compiled = statement.compile(dialect=dialect)
    expanding = [name for name, bind in compiled.binds.items() if bind.expanding or bind.literal_execute]
    return expanding + (["POSTCOMPILE"] if "POSTCOMPILE" in compiled.string else [])


def _hot_statements():
    yield "user lookup", _user_by_token()
    yield "我的任务", jobs._jobs_query(jobs.JOBS_SHOWN, jobs.DONE_SHOWN)
    yield "requester's order page", ordering._requester_order_query()
    yield "timeline", events._timeline_query()
    for after_mark in (False, True):
        yield "我的订单", ordering._my_orders_query(after_mark)
    for state, direction in itertools.product((None, "submitted"), (None, "after", "before")):
        shape = queue.QueueShape(state, True, True, True, True, True, True, True, True, direction)
        yield f"queue {shape}", queue._queue_statement(shape, 26)
    for eligible, limit in itertools.product((True, False), (None, 10)):
        yield f"ranking eligible={eligible} limit={limit}", matching._statement(eligible, limit, False)
    yield "ranking of the order page", matching._ranking_statement(40, 10, False)


@pytest.mark.parametrize("label_statement", list(_hot_statements()), ids=lambda ls: ls[0])
def test_no_hot_statement_is_rewritten_per_execution(db, label_statement):
    label, statement = label_statement
    assert _rewritten_per_execution(statement, db.engine.dialect) == [], label


def test_in_constants_writes_the_words_in_and_refuses_anything_else(db):
    sql = str(in_constants(UserRole.role, ("volunteer", "requester")).compile(dialect=db.engine.dialect))
    assert sql == "user_roles.role IN ('volunteer', 'requester')"
    for bad in ((), ("it's",), ("a') OR ('1",), ("Volunteer",)):
        with pytest.raises(ValueError):
            in_constants(UserRole.role, bad)


def test_comma_joined_joins_a_groups_strings_on_this_database(db, users):
    roles = db.session.scalar(
        select(comma_joined(UserRole.role)).where(UserRole.user_id == users["volunteer2"].id))
    assert sorted(roles.split(",")) == ["requester", "volunteer"]
    assert db.session.scalar(select(comma_joined(UserRole.role)).where(UserRole.user_id == -1)) is None


@pytest.mark.parametrize("moment", [
    datetime(2026, 12, 4, 0, 30, tzinfo=UTC),  # 08:30 in Beijing
    datetime(2026, 12, 31, 16, 0, tzinfo=UTC),  # midnight in Beijing: the next year's first day
    datetime(2024, 2, 28, 20, 15, tzinfo=UTC),  # a leap day in Beijing
])
def test_excel_moment_is_the_spreadsheets_date_number_in_beijing_time(db, moment):
    """The number an xlsx cell holds for a moment: whole days since 1899-12-30, and the Beijing
    time of day as the fraction (what Excel shows with a date format)."""
    served = db.session.scalar(select(excel_moment(literal(moment, UTCDateTime()))))
    beijing = moment.replace(tzinfo=None) + (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1))
    expected = (beijing.date() - date(1899, 12, 30)).days + (beijing.hour * 60 + beijing.minute) / 1440
    assert served == pytest.approx(expected, abs=1e-6)  # under a tenth of a second
