"""全部订单 filtered by a state with a service or a district reads its own index; a period's steps'
times are read from the placed-day index alone

Revision ID: e1f3a5c7d9b1
Revises: c7e9a1b3d5f7
Create Date: 2026-12-04 09:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e1f3a5c7d9b1'
down_revision = 'c7e9a1b3d5f7'
branch_labels = None
depends_on = None

# SQLite, until ANALYZE runs (as a1c3e5f7b9d2 does for ix_orders_queue): rows in the table, rows per
# state, per (state, service or district), per (state, service or district, id). Without them its
# planner takes a state-led index for the dispatch queue instead of the open orders' partial index.
STATS = {"ix_orders_state_service_newest": "100000 12500 400 1",
         "ix_orders_state_district_newest": "100000 12500 800 1"}


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_state_service_newest', ['state', 'service_id', 'id'], unique=False)
        batch_op.create_index('ix_orders_state_district_newest', ['state', 'district_id', 'id'], unique=False)
        batch_op.create_index('ix_orders_placed_steps',
                              ['submitted_at', 'dispatched_at', 'accepted_at', 'completed_at'], unique=False)
        batch_op.drop_index('ix_orders_submitted_at')
    if op.get_bind().dialect.name == "sqlite":
        for index, stat in STATS.items():
            op.execute(  # only beside the row of a1c3e5f7b9d2: a database ANALYZE measured keeps its figures
                f"INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT 'orders', '{index}', '{stat}' "
                "WHERE EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'ix_orders_queue' "
                "AND stat = '100000 12500 2 1')"
            )
        op.execute("ANALYZE sqlite_schema")  # this connection reads the rows


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'orders' AND idx IN "
                   "('ix_orders_state_service_newest', 'ix_orders_state_district_newest')")
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_submitted_at', ['submitted_at'], unique=False)
        batch_op.drop_index('ix_orders_placed_steps')
        batch_op.drop_index('ix_orders_state_district_newest')
        batch_op.drop_index('ix_orders_state_service_newest')
