"""SQLite: planner statistics for the orders' state index until ANALYZE runs

A database that has never been analysed gives SQLite's planner no idea that
an order's state has only a handful of values, so for the dispatch queue it
would look up both open states through ix_orders_queue and sort every open
order, instead of walking the partial index ix_orders_open_by_start in order
and stopping after a page (1.9 ms instead of 0.1 ms at 10 000 orders, and
growing with the queue). The row below says what ANALYZE would find: about
one order in eight per state. Applications may write sqlite_stat1 (SQLite's
"query planner stability" notes); a later ANALYZE replaces it with measured
figures, which lead to the same plan. PostgreSQL keeps its own statistics:
nothing to do there.

Revision ID: a1c3e5f7b9d2
Revises: 6370d2b21d39
Create Date: 2026-11-25 16:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a1c3e5f7b9d2'
down_revision = '6370d2b21d39'
branch_labels = None
depends_on = None

# rows in the table, rows per state, per (state, starts_at), per (state, starts_at, submitted_at)
STAT = "100000 12500 2 1"


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ANALYZE sqlite_schema")  # creates sqlite_stat1 if it is missing, analyses nothing else
    op.execute(
        "INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT 'orders', 'ix_orders_queue', '" + STAT + "' "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'orders')"
    )
    op.execute("ANALYZE sqlite_schema")  # and makes this connection read the row


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "DELETE FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'ix_orders_queue' AND stat = '" + STAT + "'"
    )
