"""export jobs; indexes for the history and the numbers of a period

Revision ID: 9eaf1138cc0c
Revises: 3c1e8a2f7d40
Create Date: 2026-12-03 17:11:37.309202

"""
import sqlalchemy as sa
from alembic import op

import app.models.base


# revision identifiers, used by Alembic.
revision = '9eaf1138cc0c'
down_revision = '3c1e8a2f7d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('export_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('fmt', sa.String(length=8), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('with_contact', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_export_jobs_status')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_jobs'))
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_export_jobs_status', ['status', 'id'], unique=False)
        batch_op.create_index('ix_export_jobs_user', ['user_id', 'id'], unique=False)
    op.create_index('ix_orders_state_id', 'orders', ['state', 'id'], unique=False)
    op.create_index('ix_orders_submitted_at', 'orders', ['submitted_at'], unique=False)
    op.create_index('ix_hour_entries_created_at', 'hour_entries', ['created_at'], unique=False)
    _state_id_statistics()


# SQLite, until ANALYZE runs: like ix_orders_queue's row (a1c3e5f7b9d2), about one order in
# eight per state, so that the planner keeps walking ix_orders_open_by_start for the queue.
STATE_ID_STAT = "100000 12500 1"


def _state_id_statistics():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ANALYZE sqlite_schema")
    op.execute(
        "INSERT INTO sqlite_stat1 (tbl, idx, stat) SELECT 'orders', 'ix_orders_state_id', '" + STATE_ID_STAT + "' "
        "WHERE EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'ix_orders_queue') "
        "AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'ix_orders_state_id')"
    )
    op.execute("ANALYZE sqlite_schema")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'orders' AND idx = 'ix_orders_state_id'")
    op.drop_index('ix_hour_entries_created_at', table_name='hour_entries')
    op.drop_index('ix_orders_submitted_at', table_name='orders')
    op.drop_index('ix_orders_state_id', table_name='orders')
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_jobs_user')
        batch_op.drop_index('ix_export_jobs_status')

    op.drop_table('export_jobs')
