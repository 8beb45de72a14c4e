"""records.sync_problem: central's final conflict or refusal, so it is not asked again

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sync_problem', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_column('sync_problem')
