"""where a person holding several roles starts after signing in

Revision ID: f40bb9356939
Revises: b2d4f6a8c0e1
Create Date: 2026-12-04 06:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f40bb9356939'
down_revision = 'b2d4f6a8c0e1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_page', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('start_page')
