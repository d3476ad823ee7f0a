"""Allow account-level spend rows without a campaign (retroactive, INC-2026-0587)

MIGRATION_ID: 202607150840
TITLE: Allow account-level spend rows without a campaign (retroactive, INC-2026-0587)
CHANGE_TYPE: Column
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade restores NOT NULL in development. In production, account-level
  rows would first have to be moved to a placeholder campaign by a data migration.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: db/schema/EXCEPTIONS.md, docs/ingestion/event-contract.md
INCIDENT: INC-2026-0587
TICKET: ATTR-231
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "25125dca20ef"
down_revision: Union[str, Sequence[str], None] = "ad47e810aca3"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Production already runs with this change (applied by hand during INC-2026-0587).
    with op.batch_alter_table("ad_spend") as batch_op:
        batch_op.alter_column("campaign_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("ad_spend") as batch_op:
        batch_op.alter_column("campaign_id", existing_type=sa.Integer(), nullable=False)
