"""installation.clock_offset_seconds (station: central's clock minus this station's, as
central measured it at the last sync; retention is counted by central's time with it)

Revision ID: 0011_clock_offset
Revises: 0010 (central key ring)
Create Date: 2026-12-02 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_clock_offset'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_offset_seconds', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('clock_offset_seconds')
