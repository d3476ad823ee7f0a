"""Drop ad_spend.spend_amount

MIGRATION_ID: 202606011000
TITLE: Drop ad_spend.spend_amount
CHANGE_TYPE: Column
RISK_LEVEL: High
FORWARD_ONLY: No
JUSTIFICATION: ADR-021 replaces decimal amounts with integer minor units (superseding
  ADR-012). spend_minor_units has been backfilled and dual-written for three weeks, and
  the reconciliation report (ATTR-219) shows no differences.
ROLLBACK_STRATEGY: Downgrade re-adds spend_amount and recomputes it from
  spend_minor_units. In production the same two statements run as a forward migration.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/adr/0021-store-money-as-integer-minor-units.md, docs/ingestion/event-contract.md
TICKET: ATTR-220
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "9d326016c011"
down_revision: Union[str, Sequence[str], None] = "b97390b4e860"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Give up quickly rather than queue behind the importers' long transactions.
        op.execute("SET LOCAL lock_timeout = '5s'")
        op.execute("ALTER TABLE ad_spend DROP COLUMN spend_amount")  # CI:DESTRUCTIVE_OK - ADR-021 approved removal of decimal spend amounts; spend_minor_units holds the same values
    else:
        with op.batch_alter_table("ad_spend") as batch_op:
            batch_op.drop_column("spend_amount")  # CI:DESTRUCTIVE_OK - ADR-021 approved removal of decimal spend amounts; spend_minor_units holds the same values


def downgrade() -> None:
    op.add_column(
        "ad_spend",
        sa.Column("spend_amount", sa.Numeric(precision=12, scale=2), nullable=True),
    )
    op.execute(sa.text("UPDATE ad_spend SET spend_amount = spend_minor_units / 100.0"))
