"""Create event_dead_letters table for rejected events

MIGRATION_ID: 202608031000
TITLE: Create event_dead_letters table for rejected events
CHANGE_TYPE: Table
RISK_LEVEL: High
FORWARD_ONLY: No
JUSTIFICATION: Rejected events were only logged, and the logs are kept for a year, longer
  than the 90 days allowed for raw events. A table with a 14-day purge keeps them for
  replay while honouring the retention policy (reviewed by the privacy partner, ATTR-239).
ROLLBACK_STRATEGY: Downgrade drops the table in development. In production, switch the
  collector back to logging rejections and roll forward; dead letters are replayable
  from the collector's object storage.
TOUCHES_RLS: No
TOUCHES_PRIVACY: Yes
TOUCHES_INGESTION: Yes
DOC_REFS: docs/privacy/retention.md, docs/ingestion/event-contract.md
TICKET: ATTR-240
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "2ffbc96b731b"
down_revision: Union[str, Sequence[str], None] = "25125dca20ef"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # raw_body may hold personal data: the purge job deletes rows after 14 days.
    op.create_table(
        "event_dead_letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenants.id"), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("raw_body", sa.Text(), nullable=False),
        sa.Column(
            "rejected_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )


def downgrade() -> None:
    op.drop_table("event_dead_letters")
