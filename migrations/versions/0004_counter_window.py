"""stations.counter_window: the anti-replay window, so a station may keep two requests in flight

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counter_window', sa.BigInteger(), server_default=sa.text('0'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('counter_window')
