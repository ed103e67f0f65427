"""an index of the audit trail by place: a place's events read without the whole trail

Revision ID: a9c1e3f5b7d8
Revises: f7b9d1e3a5c6
Create Date: 2026-12-04 06:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a9c1e3f5b7d8'
down_revision = 'f7b9d1e3a5c6'
branch_labels = None
depends_on = None

# SQLite, until ANALYZE runs: a place has two to four events.
ASSIGNMENT_STAT = "1000000 3"


def upgrade():
    op.create_index('ix_order_events_assignment_id', 'order_events', ['assignment_id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE sqlite_schema")
        op.execute(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT 'order_events', 'ix_order_events_assignment_id', '"
            + ASSIGNMENT_STAT + "' "
            "WHERE EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'ix_orders_queue') "
            "AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'order_events' "
            "AND idx = 'ix_order_events_assignment_id')"
        )
        op.execute("ANALYZE sqlite_schema")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'order_events' AND idx = 'ix_order_events_assignment_id'")
    op.drop_index('ix_order_events_assignment_id', table_name='order_events')
