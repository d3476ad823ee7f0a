"""Add spend_minor_units to ad_spend

MIGRATION_ID: 202605041130
TITLE: Add spend_minor_units to ad_spend
CHANGE_TYPE: Column
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the new column in development. The importers write
  both columns until spend_amount is retired, so production needs no rollback.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/adr/0021-store-money-as-integer-minor-units.md, docs/ingestion/event-contract.md
TICKET: ATTR-214
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "0a10a585f483"
down_revision: Union[str, Sequence[str], None] = "e930f7b7c68c"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Integer minor units (cents, pence, ...) per ADR-021; nullable until the backfill runs.
    op.add_column(
        "ad_spend",
        sa.Column("spend_minor_units", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("ad_spend", "spend_minor_units")
