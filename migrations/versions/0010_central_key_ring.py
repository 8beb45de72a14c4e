"""central_keys (central's private keys, wrapped with the custody key held in custodians'
slots); installation.custody_bridge (central, upgrading), installation.central_key_since
(station: since when central's record key is in use) and installation.central_key_changed_at
(station: when a pulled record key replaced the one learned at enrolment)

Central's login sessions are ended: a session started before this upgrade holds central's
record private key where sessions now hold the custody key, so everyone logs in again (and the
first custodian to do so moves the old keys into the key ring, docs/keys.md "Upgrading").

Revision ID: 0010
Revises: 0009 (role keys; 0008 station keys, 0007 the audit MAC)
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'central_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('wrapped_private', sa.LargeBinary(length=128), nullable=False),
        sa.Column('statement', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key_id'),
    )
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('central_key_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('custody_bridge', sa.LargeBinary(length=128), nullable=True))
        batch_op.add_column(sa.Column('central_key_changed_at', sa.DateTime(), nullable=True))
    op.execute("DELETE FROM auth_sessions WHERE EXISTS "
               "(SELECT 1 FROM installation WHERE installation.role = 'central')")


def downgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('central_key_changed_at')
        batch_op.drop_column('custody_bridge')
        batch_op.drop_column('central_key_since')
    op.drop_table('central_keys')
