"""Unique index on attribution_events (tenant_id, idempotency_key)

MIGRATION_ID: 202601121000
TITLE: Unique index on attribution_events (tenant_id, idempotency_key)
CHANGE_TYPE: Index
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the index. The collector tolerates its absence (it
  falls back to a lookup before insert), so a forward migration can drop it if needed.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md, docs/adr/ADR-013-idempotency-keys-for-event-ingestion.md
TICKET: ATTR-160
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "42a5c8144002"
down_revision: Union[str, Sequence[str], None] = "8527e3594220"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Built without blocking ingestion writes; CONCURRENTLY needs the autocommit block.
    with op.get_context().autocommit_block():
        op.create_index(
            "uq_attribution_events_tenant_idempotency_key",
            "attribution_events",
            ["tenant_id", "idempotency_key"],
            unique=True,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    op.drop_index(
        "uq_attribution_events_tenant_idempotency_key", table_name="attribution_events"
    )
