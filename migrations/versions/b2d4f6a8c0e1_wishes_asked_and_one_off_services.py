"""wishes: the center's question and the requester's answer (off the review clock); one-off services

Revision ID: b2d4f6a8c0e1
Revises: a9c1e3f5b7d8
Create Date: 2026-12-04 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'b2d4f6a8c0e1'
down_revision = 'a9c1e3f5b7d8'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('submitted', 'rejected', 'converted')"
NEW_STATUSES = "status IN ('submitted', 'asked', 'rejected', 'converted')"


def upgrade():
    # Nothing refers to wishes: SQLite may copy the table to change its rule on statuses.
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('answer', sa.String(length=1000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('asked_at', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('paused_minutes', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint(op.f('ck_wishes_status'), type_='check')
        batch_op.create_check_constraint('status', NEW_STATUSES)
    # Services are referred to by every order: the column is added in place (no copy of the table on SQLite).
    op.add_column('services', sa.Column('one_off', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    op.drop_column('services', 'one_off')  # SQLite 3.35+: a column no index or constraint names
    op.execute("UPDATE wishes SET status = 'submitted' WHERE status = 'asked'")
    with op.batch_alter_table('wishes', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_wishes_status'), type_='check')
        batch_op.create_check_constraint('status', OLD_STATUSES)
        batch_op.drop_column('paused_minutes')
        batch_op.drop_column('asked_at')
        batch_op.drop_column('answer')
        batch_op.drop_column('question')
