"""a volunteer's word that they will come; attendance flags once per order

Revision ID: f1c473e6a16a
Revises: 1e2ae173af6a
Create Date: 2026-12-03 23:58:30.720080

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'f1c473e6a16a'
down_revision = '1e2ae173af6a'
branch_labels = None
depends_on = None


REMINDERS = sa.text("kind IN ('reminder_24h', 'reminder_2h')")
ONCE_PER_ORDER = sa.text("kind IN ('reminder_24h', 'reminder_2h', 'unconfirmed', 'not_checked_in')")


def _once_per_order(where):
    op.drop_index('uq_notifications_reminder', table_name='notifications')
    op.create_index('uq_notifications_reminder', 'notifications', ['user_id', 'order_id', 'kind'], unique=True,
                    sqlite_where=where, postgresql_where=where)


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance_confirmed_at', app.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
    _once_per_order(ONCE_PER_ORDER)


def downgrade():
    _once_per_order(REMINDERS)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('attendance_confirmed_at')
