"""service delivery rules: duration range and hours of day

Revision ID: 3c1e8a2f7d40
Revises: 62acdedfb30a
Create Date: 2026-12-03 10:58:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3c1e8a2f7d40'
down_revision = '62acdedfb30a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_duration_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_duration_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('earliest_start', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('latest_end', sa.Time(), nullable=True))


def downgrade():
    with op.batch_alter_table('services', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('latest_end')
        batch_op.drop_column('earliest_start')
        batch_op.drop_column('max_duration_minutes')
        batch_op.drop_column('min_duration_minutes')
