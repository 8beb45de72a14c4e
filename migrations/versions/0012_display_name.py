"""users.display_name (the screener's name on referral slips; the username when unset)

Revision ID: 0012_display_name
Revises: 0011_clock_offset
Create Date: 2026-12-09 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_display_name'
down_revision = '0011_clock_offset'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('display_name', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('display_name')
