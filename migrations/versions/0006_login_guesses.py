"""users.failed_logins and users.locked_until dropped: guesses are counted per account and address

Failed logins now live in failed_attempts (app/services/throttle.py), keyed by an
HMAC of the account and the client's address, so a stranger cannot lock out an
account by guessing at it. Counts in progress at the upgrade start again from zero.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM failed_attempts WHERE key LIKE 'login%'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
