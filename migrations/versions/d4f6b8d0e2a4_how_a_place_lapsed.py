"""how a place lapsed (an offer left to expire, a late release, a no-show), read per volunteer

Revision ID: d4f6b8d0e2a4
Revises: c3e5a7b9d1f2
Create Date: 2026-12-04 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

from app.models.base import UTCDateTime
from app.services.reliability import lapse_of


# revision identifiers, used by Alembic.
revision = 'd4f6b8d0e2a4'
down_revision = 'c3e5a7b9d1f2'
branch_labels = None
depends_on = None

LAPSES = "lapse IS NOT NULL"


def upgrade():
    # Assignments are referred to by every event: the column is added in place (no copy of the table on SQLite).
    op.add_column('assignments', sa.Column('lapse', sa.String(length=12), nullable=True))
    op.create_index('ix_assignments_lapses', 'assignments', ['volunteer_id', 'ended_at'], unique=False,
                    sqlite_where=sa.text(LAPSES), postgresql_where=sa.text(LAPSES))
    # The places that lapsed before, told by the events that ended them, as the workflow now writes them.
    bind = op.get_bind()
    events = sa.table('order_events', sa.column('assignment_id', sa.Integer), sa.column('order_id', sa.Integer),
                      sa.column('action', sa.String), sa.column('from_state', sa.String),
                      sa.column('created_at', UTCDateTime()))
    orders = sa.table('orders', sa.column('id', sa.Integer), sa.column('starts_at', UTCDateTime()))
    ended = bind.execute(
        sa.select(events.c.assignment_id, events.c.action, events.c.from_state, events.c.created_at,
                  orders.c.starts_at)
        .select_from(events.join(orders, orders.c.id == events.c.order_id))
        .where(events.c.assignment_id.is_not(None), events.c.action.in_(("expire", "release", "withdraw")))
    ).all()
    assignments = sa.table('assignments', sa.column('id', sa.Integer), sa.column('lapse', sa.String))
    found = [{"a": a, "kind": kind} for a, action, from_state, at, starts_at in ended
             if (kind := lapse_of(action, from_state, at, starts_at))]
    if found:
        bind.execute(assignments.update().where(assignments.c.id == sa.bindparam("a"))
                     .values(lapse=sa.bindparam("kind")), found)


def downgrade():
    op.drop_index('ix_assignments_lapses', table_name='assignments',
                  sqlite_where=sa.text(LAPSES), postgresql_where=sa.text(LAPSES))
    op.drop_column('assignments', 'lapse')  # SQLite 3.35+: dropped with its index first
