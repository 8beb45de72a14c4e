"""audit_log.mac: each entry authenticated with a key kept outside the database

Entries written before this revision have no MAC; `flask audit seal-legacy`
authenticates them once, after checking their hash chain (docs/keys.md, "Audit log").

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('mac')
