"""Create attribution_events table for event ingestion

MIGRATION_ID: 202510201000
TITLE: Create attribution_events table for event ingestion
CHANGE_TYPE: Table
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the table in development. In production, stop the
  ingestion workers first and roll back with a forward migration; events are replayable
  from the collector's object storage for 14 days.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md
TICKET: ATTR-110
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '7851c7d388eb'
down_revision = 'a77933be6aa1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attribution_events',
        # BIGINT in PostgreSQL; SQLite only auto-increments an INTEGER primary key.
        sa.Column(
            'id',
            sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
            primary_key=True,
        ),
        sa.Column('tenant_id', sa.Integer(), sa.ForeignKey('tenants.id'), nullable=False),
        sa.Column('channel_id', sa.Integer(), sa.ForeignKey('channels.id'), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('external_event_id', sa.String(length=128), nullable=True),
        sa.Column('visitor_key', sa.String(length=64), nullable=False),
        sa.Column('event_type', sa.String(length=32), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            'received_at',
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column('payload', sa.JSON(), nullable=True),
    )


def downgrade():
    op.drop_table('attribution_events')
