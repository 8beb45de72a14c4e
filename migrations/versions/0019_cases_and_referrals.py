"""cases, referrals and their steps, organisation keys; partner case workers; station feedback

Revision ID: 0019_cases_and_referrals
Revises: 0015_referral_directory
Create Date: 2026-12-20 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_cases_and_referrals'
down_revision = '0017_odk'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('organisation_id', sa.String(length=40), nullable=True))
    op.create_table(
        'organisation_keys',
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('wrapped_private', sa.LargeBinary(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('organisation_id'),
        sa.UniqueConstraint('key_id'),
    )
    op.create_table(
        'cases',
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('assignee_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['received_records.id']),
        sa.ForeignKeyConstraint(['assignee_id'], ['users.id']),
        sa.PrimaryKeyConstraint('record_id'),
    )
    op.create_table(
        'referrals',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('made_by', sa.String(length=64), nullable=False),
        sa.Column('made_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('change', sa.BigInteger(), nullable=False),
        sa.Column('shared', sa.LargeBinary(), nullable=False),
        sa.Column('organisation_key_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['received_records.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_referrals_record_id', 'referrals', ['record_id'])
    op.create_index('ix_referrals_organisation_id', 'referrals', ['organisation_id'])
    op.create_index('ix_referrals_change', 'referrals', ['change'])
    op.create_table(
        'referral_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('referral_id', sa.String(length=36), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('for_organisation', sa.LargeBinary(), nullable=True),
        sa.Column('for_central', sa.LargeBinary(), nullable=True),
        sa.Column('central_key_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['referral_id'], ['referrals.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_referral_events_referral_id', 'referral_events', ['referral_id'])
    op.create_table(
        'referral_feedback',
        sa.Column('referral_id', sa.String(length=36), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('organisation_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('change', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('referral_id'),
    )
    op.create_index('ix_referral_feedback_record_id', 'referral_feedback', ['record_id'])


def downgrade():
    op.drop_table('referral_feedback')
    op.drop_table('referral_events')
    op.drop_table('referrals')
    op.drop_table('cases')
    op.drop_table('organisation_keys')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('organisation_id')
