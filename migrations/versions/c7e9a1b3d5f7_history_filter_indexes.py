"""全部订单 filtered by a service or a district: (service_id, id) and (district_id, id) instead of the
single-column indexes, so a filtered page walks its own orders newest first

Revision ID: c7e9a1b3d5f7
Revises: e5a7c9e1f3b5
Create Date: 2026-12-04 08:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c7e9a1b3d5f7'
down_revision = 'e5a7c9e1f3b5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_service_newest', ['service_id', 'id'], unique=False)
        batch_op.create_index('ix_orders_district_newest', ['district_id', 'id'], unique=False)
        batch_op.drop_index('ix_orders_service_id')
        batch_op.drop_index('ix_orders_district_id')


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_district_id', ['district_id'], unique=False)
        batch_op.create_index('ix_orders_service_id', ['service_id'], unique=False)
        batch_op.drop_index('ix_orders_district_newest')
        batch_op.drop_index('ix_orders_service_newest')
