"""Add retention_expires_at to attribution_events

MIGRATION_ID: 202604201030
TITLE: Add retention_expires_at to attribution_events
CHANGE_TYPE: Column
RISK_LEVEL: High
FORWARD_ONLY: No
JUSTIFICATION: ADR-019 limits raw event retention to 90 days. The purge job needs an
  explicit expiry per row because enterprise tenants may agree a shorter period.
ROLLBACK_STRATEGY: Downgrade drops the column in development. In production, disable the
  purge job first; the column can then be dropped by a forward migration under a new ADR.
TOUCHES_RLS: No
TOUCHES_PRIVACY: Yes
TOUCHES_INGESTION: Yes
DOC_REFS: docs/privacy/retention.md, docs/adr/ADR-019-ninety-day-retention-for-raw-events.md, docs/ingestion/event-contract.md
TICKET: ATTR-207
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "d5c127ee4aa3"
down_revision: Union[str, Sequence[str], None] = "e6d2c6eba557"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Nullable: the collector fills it on insert; older rows are handled by the purge job.
    op.add_column(
        "attribution_events",
        sa.Column("retention_expires_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("attribution_events", "retention_expires_at")
