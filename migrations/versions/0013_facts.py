"""record_facts, saved_filters, installation facts key and facts generation

Revision ID: 0013_facts
Revises: 0012_display_name
Create Date: 2026-12-16 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_facts'
down_revision = '0012_display_name'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'record_facts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('station_id', sa.String(length=36), nullable=False),
        sa.Column('created_day', sa.String(length=10), nullable=False),
        sa.Column('questionnaire_id', sa.String(length=64), nullable=False),
        sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
        sa.Column('facts', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('indexed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['received_records.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id'),
    )
    op.create_index('ix_record_facts_station_id', 'record_facts', ['station_id'])
    op.create_index('ix_record_facts_created_day', 'record_facts', ['created_day'])
    op.create_table(
        'saved_filters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'name'),
    )
    op.create_index('ix_saved_filters_user_id', 'saved_filters', ['user_id'])
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts_public_key', sa.LargeBinary(length=32), nullable=True))
        batch_op.add_column(sa.Column('facts_key_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('facts_generation', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('installation', schema=None) as batch_op:
        batch_op.drop_column('facts_generation')
        batch_op.drop_column('facts_key_id')
        batch_op.drop_column('facts_public_key')
    op.drop_index('ix_saved_filters_user_id', table_name='saved_filters')
    op.drop_table('saved_filters')
    op.drop_index('ix_record_facts_created_day', table_name='record_facts')
    op.drop_index('ix_record_facts_station_id', table_name='record_facts')
    op.drop_table('record_facts')
