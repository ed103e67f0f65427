"""orders placed by the center for people without an account

Revision ID: 2e3bc7697e99
Revises: e75a4e3de4c3
Create Date: 2026-12-04 00:21:29.400350

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = '2e3bc7697e99'
down_revision = 'e75a4e3de4c3'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite adds the column with its reference in place (ALTER TABLE … ADD COLUMN … REFERENCES): copying
    # the orders table instead would trip the foreign keys that point at it and drop its planner statistics.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE orders ADD COLUMN placed_by_id INTEGER '
                   'CONSTRAINT fk_orders_placed_by_id_users REFERENCES users (id)')
    else:
        op.add_column('orders', sa.Column('placed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_orders_placed_by_id_users'), 'orders', 'users', ['placed_by_id'], ['id'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_guest', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('is_guest')

    if op.get_bind().dialect.name == 'sqlite':
        op.drop_column('orders', 'placed_by_id')  # SQLite 3.35+: a column no index or constraint names
    else:
        op.drop_constraint(op.f('fk_orders_placed_by_id_users'), 'orders', type_='foreignkey')
        op.drop_column('orders', 'placed_by_id')
