"""Foreign key from conversions.campaign_id to campaigns

MIGRATION_ID: 202602021000
TITLE: Foreign key from conversions.campaign_id to campaigns
CHANGE_TYPE: Constraint
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the constraint. Orphaned campaign ids were cleaned up
  by ATTR-174 before this migration; if validation fails in production, a forward migration
  recreates the constraint as NOT VALID.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md
TICKET: ATTR-175
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "94ccda80e852"
down_revision: Union[str, Sequence[str], None] = "6a860a123fb5"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a constraint in place; PostgreSQL gets a plain ALTER TABLE.
    with op.batch_alter_table("conversions") as batch_op:
        batch_op.create_foreign_key(
            "fk_conversions_campaign_id_campaigns",
            "campaigns",
            ["campaign_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("conversions") as batch_op:
        batch_op.drop_constraint("fk_conversions_campaign_id_campaigns", type_="foreignkey")
