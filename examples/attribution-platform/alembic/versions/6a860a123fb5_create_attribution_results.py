"""Create attribution_results table

MIGRATION_ID: 202601261130
TITLE: Create attribution_results table
CHANGE_TYPE: Table
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the table in development. Results are recomputed by the
  attribution job, so production can be rolled forward from an empty table.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
DOC_REFS: docs/adr/ADR-015-retire-legacy-touchpoints.md
TICKET: ATTR-171
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "6a860a123fb5"
down_revision: Union[str, Sequence[str], None] = "00fad9b2990b"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Replaces touchpoints (ADR-015): one row per conversion, event and attribution model.
    op.create_table(
        "attribution_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column(
            "conversion_id", sa.Integer(), sa.ForeignKey("conversions.id"), nullable=False
        ),
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("attribution_events.id"),
            nullable=False,
        ),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Numeric(precision=6, scale=5), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.UniqueConstraint(
            "conversion_id", "event_id", "model", name="uq_attribution_results_conversion_event_model"
        ),
    )


def downgrade() -> None:
    op.drop_table("attribution_results")
