"""Add idempotency_key to attribution_events

MIGRATION_ID: 202512081500
TITLE: Add idempotency_key to attribution_events
CHANGE_TYPE: Column
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the new, still unused column in development. After
  the collector starts writing keys, roll back with a forward migration instead.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md, docs/adr/ADR-013-idempotency-keys-for-event-ingestion.md
TICKET: ATTR-152
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '18d8524b1321'
down_revision = '6e890743e86a'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable on purpose: existing rows are backfilled by the next migration (ADR-013).
    op.add_column(
        'attribution_events',
        sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    )


def downgrade():
    op.drop_column('attribution_events', 'idempotency_key')
