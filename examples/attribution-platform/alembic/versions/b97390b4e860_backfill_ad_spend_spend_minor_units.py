"""Backfill ad_spend.spend_minor_units from spend_amount

MIGRATION_ID: 202605111000
TITLE: Backfill ad_spend.spend_minor_units from spend_amount
CHANGE_TYPE: Data
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade clears spend_minor_units; spend_amount still holds the source
  values, so the backfill can be repeated at any time.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/adr/0021-store-money-as-integer-minor-units.md, docs/ingestion/event-contract.md
TICKET: ATTR-215
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "b97390b4e860"
down_revision: Union[str, Sequence[str], None] = "0a10a585f483"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Every currency we import today has two decimal places (checked in ATTR-215).
    op.execute(
        sa.text(
            "UPDATE ad_spend "
            "SET spend_minor_units = CAST(ROUND(spend_amount * 100) AS BIGINT) "
            "WHERE spend_minor_units IS NULL"
        )
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE ad_spend SET spend_minor_units = NULL"))
