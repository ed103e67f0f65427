"""结项 photos

Revision ID: f7b9d1e3a5c6
Revises: e6a8c0d2f4b5
Create Date: 2026-12-04 04:55:00

"""
import sqlalchemy as sa
from alembic import op

import app.models.base

revision = 'f7b9d1e3a5c6'
down_revision = 'e6a8c0d2f4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('completion_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], name=op.f('fk_completion_photos_assignment_id_assignments')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_completion_photos_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_completion_photos')),
    sa.UniqueConstraint('file_name', name=op.f('uq_completion_photos_file_name'))
    )
    with op.batch_alter_table('completion_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_completion_photos_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_completion_photos_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('completion_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_completion_photos_order_id'))
        batch_op.drop_index(batch_op.f('ix_completion_photos_assignment_id'))
    op.drop_table('completion_photos')
