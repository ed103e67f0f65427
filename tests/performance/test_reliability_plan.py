"""The reliability beside each suggestion reads only the shown volunteers' places that ended lately.

It once joined the whole audit trail (a scan of ``order_events``: 16 ms a page at 10 000 orders).
"""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db as _db
from app.services import reliability
from tests.conftest import IS_PG, plan_of, recording_statements


def test_reliability_is_read_through_the_places_of_the_volunteers_shown(db, users):
    if IS_PG:  # on a few rows a scan is cheapest: priced out, the indexes must still serve
        for setting in ("enable_seqscan", "enable_bitmapscan"):
            _db.session.execute(text(f"SET LOCAL {setting} = off"))
    with recording_statements() as sent:
        reliability.of_volunteers([users["volunteer"].id])
    plan = plan_of(sent.statements[-1], sent.parameters[-1])
    db.session.rollback()
    assert "ix_assignments_lapses" in plan and "order_events" not in plan, plan
    if IS_PG:
        assert "Seq Scan" not in plan, plan
    else:
        assert "SCAN assignments" not in plan, plan
