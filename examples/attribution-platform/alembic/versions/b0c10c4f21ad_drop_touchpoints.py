"""Drop the legacy touchpoints table

MIGRATION_ID: 202603231000
TITLE: Drop the legacy touchpoints table
CHANGE_TYPE: Table
RISK_LEVEL: High
FORWARD_ONLY: No
JUSTIFICATION: Final step of ADR-015. The table has had no writes since the attribution job
  switched to attribution_results, and its contents are reproducible from attribution_events.
ROLLBACK_STRATEGY: Downgrade recreates the empty table in development. In production,
  recreate it with a forward migration and rebuild it from attribution_events with the
  touchpoint rebuild job; a final export is kept in cold storage for a year (ATTR-194).
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
DOC_REFS: docs/adr/ADR-015-retire-legacy-touchpoints.md
TICKET: ATTR-194
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "b0c10c4f21ad"
down_revision: Union[str, Sequence[str], None] = "15788671358b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_table("touchpoints")  # CI:DESTRUCTIVE_OK - ADR-015 approved retirement of the touchpoints model; final export archived under ATTR-194


def downgrade() -> None:
    op.create_table(
        "touchpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("attribution_events.id"),
            nullable=False,
        ),
        sa.Column("journey_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
