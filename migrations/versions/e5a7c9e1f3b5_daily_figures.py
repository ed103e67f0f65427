"""daily figures: the dashboard's counts per day, state, service and district, rebuilt by the sweep

Revision ID: e5a7c9e1f3b5
Revises: d4f6b8d0e2a4
Create Date: 2026-12-04 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'e5a7c9e1f3b5'
down_revision = 'd4f6b8d0e2a4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_figures',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('overdue', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Integer(), nullable=False),
    sa.Column('stars_1', sa.Integer(), nullable=False),
    sa.Column('stars_2', sa.Integer(), nullable=False),
    sa.Column('stars_3', sa.Integer(), nullable=False),
    sa.Column('stars_4', sa.Integer(), nullable=False),
    sa.Column('stars_5', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'service_id', 'district_id', 'state', name=op.f('pk_daily_figures'))
    )
    op.create_table('daily_figures_rebuilt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_figures_rebuilt'))
    )
    op.create_index('ix_orders_updated_at', 'orders', ['updated_at'], unique=False)


def downgrade():
    op.drop_index('ix_orders_updated_at', table_name='orders')
    op.drop_table('daily_figures_rebuilt')
    op.drop_table('daily_figures')
