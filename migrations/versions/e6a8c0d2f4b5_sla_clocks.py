"""时限: targets per category and the clocks' breaches and escalations

Revision ID: e6a8c0d2f4b5
Revises: d5f7b9c1e3a4
Create Date: 2026-12-04 04:40:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = 'e6a8c0d2f4b5'
down_revision = 'd5f7b9c1e3a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sla_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('clock', sa.String(length=12), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('due_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("clock IN ('dispatch', 'acceptance')", name=op.f('ck_sla_events_clock')),
    sa.CheckConstraint("level IN ('breach', 'escalation')", name=op.f('ck_sla_events_level')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_sla_events_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_events')),
    sa.UniqueConstraint('order_id', 'clock', 'level', name='uq_sla_events_once')
    )
    with op.batch_alter_table('sla_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_events_order_id'), ['order_id'], unique=False)
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatch_target_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('accept_target_hours', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('accept_target_hours')
        batch_op.drop_column('dispatch_target_hours')
    with op.batch_alter_table('sla_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_events_order_id'))
    op.drop_table('sla_events')
