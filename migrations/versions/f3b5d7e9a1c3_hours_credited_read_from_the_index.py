"""the hours credited in a period and by whom, read from the index alone (created_at, volunteer_id, hours)

Revision ID: f3b5d7e9a1c3
Revises: e1f3a5c7d9b1
Create Date: 2026-12-04 09:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f3b5d7e9a1c3'
down_revision = 'e1f3a5c7d9b1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hour_entries', schema=None) as batch_op:
        batch_op.create_index('ix_hour_entries_credited', ['created_at', 'volunteer_id', 'hours'], unique=False)
        batch_op.drop_index('ix_hour_entries_created_at')


def downgrade():
    with op.batch_alter_table('hour_entries', schema=None) as batch_op:
        batch_op.create_index('ix_hour_entries_created_at', ['created_at'], unique=False)
        batch_op.drop_index('ix_hour_entries_credited')
