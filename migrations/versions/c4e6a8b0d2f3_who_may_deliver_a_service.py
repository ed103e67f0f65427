"""who may deliver a service: volunteers who list it, or the teams that cover it

Revision ID: c4e6a8b0d2f3
Revises: b7d2f4a6c8e1
Create Date: 2026-12-04 04:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4e6a8b0d2f3'
down_revision = 'b7d2f4a6c8e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_by', sa.String(length=10), server_default='listed', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        # SQLite would have to copy the table (referenced by every order) to add it; the model keeps the rule.
        op.create_check_constraint("delivered_by", "services", "delivered_by IN ('listed', 'teams')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("delivered_by", "services", type_="check")
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('delivered_by')
