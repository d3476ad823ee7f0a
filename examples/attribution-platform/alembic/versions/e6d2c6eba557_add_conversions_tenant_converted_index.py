"""Index conversions by tenant and conversion time (retroactive, INC-2026-0412)

MIGRATION_ID: 202604011530
TITLE: Index conversions by tenant and conversion time (retroactive, INC-2026-0412)
CHANGE_TYPE: Index
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the index in development. In production the index
  must stay: without it the attribution job times out (INC-2026-0412).
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: db/schema/EXCEPTIONS.md, docs/ingestion/event-contract.md
INCIDENT: INC-2026-0412
TICKET: ATTR-201
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e6d2c6eba557"
down_revision: Union[str, Sequence[str], None] = "b0c10c4f21ad"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _create_index_concurrently() -> None:
    """Repeat the on-call fix exactly: IF NOT EXISTS makes it a no-op where it already ran."""
    # CONCURRENTLY cannot run inside a transaction block.
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_conversions_tenant_converted_at "
            "ON conversions (tenant_id, converted_at)"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _create_index_concurrently()
    else:
        # SQLite has no CONCURRENTLY and no concurrent writers in development.
        op.create_index(
            "ix_conversions_tenant_converted_at",
            "conversions",
            ["tenant_id", "converted_at"],
        )


def downgrade() -> None:
    op.drop_index("ix_conversions_tenant_converted_at", table_name="conversions")
