"""Create channels table

MIGRATION_ID: 202510081040
TITLE: Create channels table
CHANGE_TYPE: Table
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the table in development; in production a forward
  migration would be needed because campaigns reference channels.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-102
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'dd3071a01c4a'
down_revision = '50f6204d76c2'
branch_labels = None
depends_on = None


def upgrade():
    # Channels are global (shared by all tenants): paid search, paid social, email, ...
    op.create_table(
        'channels',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=255), nullable=False),
        sa.UniqueConstraint('key', name='uq_channels_key'),
    )


def downgrade():
    op.drop_table('channels')
