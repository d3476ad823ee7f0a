"""Trigram index on campaigns.name for campaign search

MIGRATION_ID: 202611021130
TITLE: Trigram index on campaigns.name for campaign search
CHANGE_TYPE: Index
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the index; campaign search falls back to a sequential
  scan, which is slow but correct.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-267
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "ea9c9f8287b0"
down_revision: Union[str, Sequence[str], None] = "ff053aefeb53"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # GIN trigram indexes exist only in PostgreSQL; SQLite searches with LIKE unindexed.
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute(
                "CREATE INDEX CONCURRENTLY ix_campaigns_name_trgm "
                "ON campaigns USING gin (name gin_trgm_ops)"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("DROP INDEX CONCURRENTLY ix_campaigns_name_trgm")
