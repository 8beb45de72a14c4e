"""directory_versions: the referral directory, each version signed by central (both roles)

Revision ID: 0015_referral_directory
Revises: 0014_station_errors
Create Date: 2026-12-18 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_referral_directory'
down_revision = '0014_station_errors'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'directory_versions',
        sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('statement', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('made_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('version'),
    )


def downgrade():
    op.drop_table('directory_versions')
