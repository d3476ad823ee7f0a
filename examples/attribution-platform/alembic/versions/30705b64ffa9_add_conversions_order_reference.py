"""Add order_reference to conversions

MIGRATION_ID: 202602091030
TITLE: Add order_reference to conversions
CHANGE_TYPE: Column
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the nullable column in development. Webhooks ignore
  unknown columns, so production rolls back by deploying the previous webhook version.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md
TICKET: ATTR-180
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "30705b64ffa9"
down_revision: Union[str, Sequence[str], None] = "94ccda80e852"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # The commerce platform's order number, used to match refunds to conversions.
    op.add_column(
        "conversions",
        sa.Column("order_reference", sa.String(length=128), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("conversions", "order_reference")
