"""the districts a service is offered in

Revision ID: d5f7b9c1e3a4
Revises: c4e6a8b0d2f3
Create Date: 2026-12-04 04:25:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd5f7b9c1e3a4'
down_revision = 'c4e6a8b0d2f3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('service_districts',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_service_districts_district_id_districts')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_districts_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'district_id', name=op.f('pk_service_districts'))
    )


def downgrade():
    op.drop_table('service_districts')
