"""claim board: a service's dispatch mode

Revision ID: 00c99f069f1b
Revises: 9eaf1138cc0c
Create Date: 2026-12-03 17:33:00

"""
import sqlalchemy as sa
from alembic import op

revision = '00c99f069f1b'
down_revision = '9eaf1138cc0c'
branch_labels = None
depends_on = None

# The seed's services whose orders go to the claim board (app/seed.py, CLAIM_SERVICES).
CLAIM_SERVICES = ("文明交通引导", "垃圾分类指导")


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatch_mode', sa.String(length=10), server_default='dispatch', nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        # SQLite would have to copy the table (referenced by every order) to add it; the model keeps the rule.
        op.create_check_constraint("dispatch_mode", "services", "dispatch_mode IN ('dispatch', 'claim')")
    services = sa.table("services", sa.column("name", sa.String), sa.column("dispatch_mode", sa.String))
    op.execute(services.update().where(services.c.name.in_(CLAIM_SERVICES)).values(dispatch_mode="claim"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("dispatch_mode", "services", type_="check")
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('dispatch_mode')
