"""ODK Collect on the station: installation.odk_public_key, odk_private_wrapped (the RSA key
pair phones encrypt submissions to) and odk_submissions (which record each submission became)

Revision ID: 0017_odk
Revises: 0016_export_runs
Create Date: 2026-12-20 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_odk'
down_revision = '0016_export_runs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('odk_public_key', sa.LargeBinary(length=600), nullable=True))
        batch_op.add_column(sa.Column('odk_private_wrapped', sa.LargeBinary(length=2048), nullable=True))
    op.create_table(
        'odk_submissions',
        sa.Column('instance_hash', sa.String(length=64), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('payload_sha256', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('instance_hash'),
    )


def downgrade():
    op.drop_table('odk_submissions')
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('odk_private_wrapped')
        batch_op.drop_column('odk_public_key')
