"""Datetimes come back from either database as aware UTC, however they were written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import literal, select, text

from app.models import Order
from app.models.base import UTCDateTime, _sqlite_utc

BEIJING = timezone(timedelta(hours=8))


def test_an_aware_datetime_round_trips_as_the_same_instant_in_utc(db, make_order):
    order = make_order("submitted")
    moment = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=BEIJING)
    db.session.execute(Order.__table__.update().where(Order.id == order.id).values(overdue_at=moment))
    read = db.session.execute(select(Order.overdue_at).where(Order.id == order.id)).scalar_one()
    assert read == moment and read.tzinfo is not None and read.utcoffset() == timedelta(0)
    db.session.expire_all()
    assert db.session.get(Order, order.id).overdue_at == moment  # through the ORM as well


def test_a_naive_datetime_is_refused(db):
    with pytest.raises(Exception, match="naive"):
        db.session.execute(select(literal(datetime(2026, 1, 1), UTCDateTime)))


@pytest.mark.parametrize(("stored", "expected"), [
    ("2026-11-25 10:00:00.000000", datetime(2026, 11, 25, 10, tzinfo=UTC)),
    ("2026-11-25 10:00:00", datetime(2026, 11, 25, 10, tzinfo=UTC)),
    ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
    ("2026-11-25T10:00:00+08:00", datetime(2026, 11, 25, 2, tzinfo=UTC)),
    (None, None),
])
def test_sqlite_text_of_any_shape_reads_as_utc(stored, expected):
    read = _sqlite_utc(stored)
    assert read == expected
    assert read is None or read.utcoffset() == timedelta(0)


def test_text_written_by_hand_reads_as_utc(db, make_order):
    # SQLite keeps the text as written; PostgreSQL converts it to timestamptz. Both read the same instant.
    order = make_order("submitted")
    db.session.execute(text("UPDATE orders SET overdue_at = '2026-11-25T18:00:00+08:00' WHERE id = :i"),
                       {"i": order.id})
    read = db.session.execute(select(Order.overdue_at).where(Order.id == order.id)).scalar_one()
    assert read == datetime(2026, 11, 25, 10, tzinfo=UTC)
