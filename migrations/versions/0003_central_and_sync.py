"""central and sync

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:13:24.022313

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash')
    )
    op.create_table('enrolment_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_name', sa.String(length=120), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_hash')
    )
    op.create_table('failed_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('failed_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_attempts_key'), ['key'], unique=False)

    op.create_table('stations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('signing_public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('api_public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_contact_at', sa.DateTime(), nullable=True),
    sa.Column('last_counter', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('pending', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('clock_skew_seconds', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('received_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('station_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('questionnaire_id', sa.String(length=64), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.Column('central_key_id', sa.String(length=32), nullable=False),
    sa.Column('created_day', sa.String(length=10), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=True),
    sa.Column('envelope_sha256', sa.String(length=64), nullable=False),
    sa.Column('receipt', sa.LargeBinary(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('received_records', schema=None) as batch_op:
        batch_op.create_index('ix_received_station_seq', ['station_id', 'seq'], unique=False)

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrapped_secret', sa.LargeBinary(length=128), nullable=True))

    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('central_url', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('central_signing_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('central_tls_pin', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('api_private_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('request_counter', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('enrolled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_sync_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_sync_error', sa.String(length=300), nullable=True))



def downgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('last_sync_error')
        batch_op.drop_column('last_sync_at')
        batch_op.drop_column('enrolled_at')
        batch_op.drop_column('request_counter')
        batch_op.drop_column('api_private_key')
        batch_op.drop_column('central_tls_pin')
        batch_op.drop_column('central_signing_public_key')
        batch_op.drop_column('central_url')

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('wrapped_secret')

    with op.batch_alter_table('received_records', schema=None) as batch_op:
        batch_op.drop_index('ix_received_station_seq')

    op.drop_table('received_records')
    op.drop_table('stations')
    with op.batch_alter_table('failed_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_attempts_key'))

    op.drop_table('failed_attempts')
    op.drop_table('enrolment_codes')
    op.drop_table('audit_log')
