"""station_keys (a station's earlier public keys) and enrolment_codes.station_id (re-key codes)

Enrolment can no longer replace the keys of a station central already has; an
administrator re-keys a station with a code bound to it, and the keys it replaces
are kept in station_keys so that envelopes signed with them still verify.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('station_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.String(length=36), nullable=False),
    sa.Column('signing_public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('api_public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('valid_from', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name='fk_station_keys_station_id_stations'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('station_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_keys_station_id'), ['station_id'], unique=False)
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station_id', sa.String(length=36), nullable=True))
        batch_op.create_foreign_key('fk_enrolment_codes_station_id_stations', 'stations',
                                    ['station_id'], ['id'])


def downgrade():
    with op.batch_alter_table('enrolment_codes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_enrolment_codes_station_id_stations', type_='foreignkey')
        batch_op.drop_column('station_id')
    with op.batch_alter_table('station_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_keys_station_id'))
    op.drop_table('station_keys')
