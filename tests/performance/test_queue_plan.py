"""The dispatch queue walks the partial index of open orders in order, on SQLite and PostgreSQL.

Only the page picked (26 rows) is then joined to its names and sorted.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db as _db
from app.services import orders as order_service
from tests.conftest import IS_PG, plan_of, recording_statements


def _plan_of_queue(app, f: order_service.QueueFilter) -> str:
    with recording_statements() as sent:
        order_service.dispatch_queue(f, per_page=25)
    return plan_of(sent.statements[-1], sent.parameters[-1])


# What the migration that made the state-led indexes of 全部订单 writes for them.
STATS = {"ix_orders_state_service_newest": "100000 12500 400 1",
         "ix_orders_state_district_newest": "100000 12500 800 1"}


def _prime_sqlite_statistics() -> None:
    # As a new database has them after the migrations (other tests may have run ANALYZE on tiny data).
    raw = _db.session.connection().connection.driver_connection
    raw.execute("DELETE FROM sqlite_stat1")
    raw.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('orders', 'ix_orders_queue', '100000 12500 2 1')")
    raw.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('orders', 'ix_orders_state_id', '100000 12500 1')")
    for index, stat in STATS.items():
        raw.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('orders', ?, ?)", (index, stat))
    raw.execute("ANALYZE sqlite_schema")  # this connection reads the statistics again


def _price_out_scans_and_sorts() -> None:
    # On a few rows a scan and a sort are cheapest; priced out, the planner still
    # finds a plan without a sort only if the index gives the queue's order.
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        _db.session.execute(text(f"SET LOCAL {setting} = off"))


@pytest.mark.parametrize("f, index", [
    (order_service.QueueFilter(), "ix_orders_open_by_start"),
    (order_service.QueueFilter(district_id=1), "ix_orders_open_by_district"),
])
def test_queue_page_is_an_ordered_index_walk_not_a_sort(app, db, make_order, f, index):
    make_order()
    db.session.commit()
    _price_out_scans_and_sorts() if IS_PG else _prime_sqlite_statistics()
    with app.test_request_context():
        plan = _plan_of_queue(app, f)
    db.session.rollback()
    if IS_PG:
        steps = plan.split(" | ")
        limit = next(i for i, step in enumerate(steps) if step.startswith("->  Limit"))
        assert steps[limit + 1].startswith(f"->  Index Scan using {index} on orders"), plan
        assert "Sort" not in plan, plan
    else:
        picking = plan.split("SCAN anon_1")[0]  # what runs before the page's rows are joined and put in order
        assert index in picking and "TEMP B-TREE" not in picking, plan
