"""Index attribution_events by tenant and occurrence time

MIGRATION_ID: 202511031015
TITLE: Index attribution_events by tenant and occurrence time
CHANGE_TYPE: Index
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the index. The index serves the P0 journey query, so
  in production it is only ever replaced, never dropped without an ADR.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md
TICKET: ATTR-121
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '1257ce106e8f'
down_revision = 'cbbabc06a68f'
branch_labels = None
depends_on = None


def upgrade():
    # attribution_events takes writes all day: build the index without blocking them.
    # CONCURRENTLY cannot run inside a transaction block, hence the autocommit block.
    with op.get_context().autocommit_block():
        op.create_index(
            'ix_attribution_events_tenant_occurred_at',
            'attribution_events',
            ['tenant_id', 'occurred_at'],
            postgresql_concurrently=True,
        )


def downgrade():
    op.drop_index('ix_attribution_events_tenant_occurred_at', table_name='attribution_events')
