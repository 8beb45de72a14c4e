"""stations.error_count, last_error_code, last_error_at (central: what went wrong with each
station's requests and records, for the Stations page)

Revision ID: 0014_station_errors
Revises: 0013_facts
Create Date: 2026-12-17 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_station_errors'
down_revision = '0013_facts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_count', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))
        batch_op.add_column(sa.Column('last_error_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('last_error_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('last_error_at')
        batch_op.drop_column('last_error_code')
        batch_op.drop_column('error_count')
