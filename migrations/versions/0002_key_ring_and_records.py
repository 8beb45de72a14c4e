"""key ring and records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:04:23.784685

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('slot', sa.LargeBinary(length=512), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id')
    )
    op.create_table('records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('station_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('questionnaire_id', sa.String(length=64), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.Column('local_key_id', sa.String(length=32), nullable=False),
    sa.Column('central_key_id', sa.String(length=32), nullable=True),
    sa.Column('state', sa.Enum('draft', 'final', 'synced', name='recordstate', native_enum=False, length=8), nullable=False),
    sa.Column('created_day', sa.String(length=10), nullable=False),
    sa.Column('padded_size', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('local_wrap', sa.LargeBinary(length=128), nullable=True),
    sa.Column('envelope', sa.LargeBinary(), nullable=True),
    sa.Column('envelope_sha256', sa.String(length=64), nullable=True),
    sa.Column('receipt', sa.LargeBinary(), nullable=True),
    sa.Column('receipt_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('station_id', 'seq')
    )
    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_state'), ['state'], unique=False)

    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('local_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('signing_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('signing_key_wrapped', sa.LargeBinary(length=128), nullable=True))
        batch_op.add_column(sa.Column('central_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('central_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('next_seq', sa.BigInteger(), server_default=sa.text('1'), nullable=False))



def downgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('next_seq')
        batch_op.drop_column('central_key_id')
        batch_op.drop_column('central_public_key')
        batch_op.drop_column('signing_key_wrapped')
        batch_op.drop_column('signing_public_key')
        batch_op.drop_column('local_key_id')
        batch_op.drop_column('station_id')

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_state'))
        batch_op.drop_index(batch_op.f('ix_records_created_by'))

    op.drop_table('records')
    op.drop_table('key_slots')
