"""Role keys: each user's X25519 public key and escrow, the administrators' public key, wider wraps

Also users.signing_update: after a re-key (``enrol --rekey``), the station's new signing key
sealed to each user's key until their slot holds it.

A record's data key is now wrapped to its creator's and the administrators' X25519 keys
(records.local_wrap holds the wrap set, about 200 bytes), not under the one station
data key. Nothing is re-encrypted here (that needs a passphrase): rows and slots from
before keep working and are converted at the next logins (see docs/keys.md, "Upgrading
a station from one station key"). Slots of accounts that are switched off are deleted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # A switched-off account keeps no key slot (the slot of one from before held the
    # station key, which would open the conversion's stash).
    op.execute("DELETE FROM key_slots WHERE user_id IN (SELECT id FROM users WHERE NOT active)")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('key_escrow', sa.LargeBinary(length=128), nullable=True))
        batch_op.add_column(sa.Column('signing_update', sa.LargeBinary(length=128), nullable=True))
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('admins_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('upgrade_stash', sa.LargeBinary(length=128), nullable=True))
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.alter_column('local_wrap', existing_type=sa.LargeBinary(length=128),
                              type_=sa.LargeBinary(length=1024), existing_nullable=True)


def downgrade():
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.alter_column('local_wrap', existing_type=sa.LargeBinary(length=1024),
                              type_=sa.LargeBinary(length=128), existing_nullable=True)
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('upgrade_stash')
        batch_op.drop_column('admins_public_key')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('signing_update')
        batch_op.drop_column('key_escrow')
        batch_op.drop_column('public_key')
