"""Backfill idempotency_key from external_event_id (irreversible)

MIGRATION_ID: 202512151030
TITLE: Backfill idempotency_key from external_event_id (irreversible)
CHANGE_TYPE: Data
RISK_LEVEL: Medium
FORWARD_ONLY: Yes
JUSTIFICATION: The backfill derives idempotency_key from external_event_id, or from the row
  id when the source sent no external id. Once the collector also writes keys, backfilled
  and client-written keys cannot be told apart, so there is no safe reverse mapping.
ROLLBACK_STRATEGY: Data loss acceptable per ADR-013: a separate forward migration may reset
  idempotency_key to NULL for rows received before 2025-12-15, after which the backfill can
  be run again. See docs/database/RUNBOOK-MIGRATION-POLICY.md, "Rolling back without a
  downgrade".
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md, docs/adr/ADR-013-idempotency-keys-for-event-ingestion.md
TICKET: ATTR-153
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '8527e3594220'
down_revision = '18d8524b1321'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        sa.text(
            "UPDATE attribution_events "
            "SET idempotency_key = COALESCE(external_event_id, 'legacy-' || id) "
            "WHERE idempotency_key IS NULL"
        )
    )


def downgrade():
    """Forward-only: see JUSTIFICATION and ROLLBACK_STRATEGY in the header."""
    pass
