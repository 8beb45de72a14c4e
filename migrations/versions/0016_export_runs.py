"""export_runs: each export being produced at central, for the page's progress bar

Revision ID: 0016_export_runs
Revises: 0015_referral_directory
Create Date: 2026-12-18 09:00:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0016_export_runs'
down_revision = '0015_referral_directory'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_runs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('format', sa.String(length=8), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('export_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_runs_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_runs_user_id'))
    op.drop_table('export_runs')
