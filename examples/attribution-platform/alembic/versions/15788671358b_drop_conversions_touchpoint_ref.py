"""Drop conversions.touchpoint_ref

MIGRATION_ID: 202603161400
TITLE: Drop conversions.touchpoint_ref
CHANGE_TYPE: Column
RISK_LEVEL: High
FORWARD_ONLY: No
JUSTIFICATION: ADR-015 retires the touchpoints model. Since 2026-02-02 the attribution job
  reads attribution_results only, and no reader of touchpoint_ref is left (checked with
  pg_stat_statements over 30 days, ATTR-190).
ROLLBACK_STRATEGY: Downgrade re-adds the column empty in development. In production the
  values are kept for 90 days in the nightly snapshot; restoring them is an operational
  runbook step followed by a forward migration re-adding the column.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/adr/ADR-015-retire-legacy-touchpoints.md, docs/ingestion/event-contract.md
TICKET: ATTR-191
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "15788671358b"
down_revision: Union[str, Sequence[str], None] = "5ac81cc458a3"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_column("conversions", "touchpoint_ref")  # CI:DESTRUCTIVE_OK - ADR-015 approved removal of the legacy touchpoint link; attribution_results replaced it and nothing reads it


def downgrade() -> None:
    op.add_column(
        "conversions",
        sa.Column("touchpoint_ref", sa.String(length=64), nullable=True),
    )
