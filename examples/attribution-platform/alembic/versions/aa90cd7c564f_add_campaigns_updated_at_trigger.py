"""Keep campaigns.updated_at current with a trigger

MIGRATION_ID: 202609211000
TITLE: Keep campaigns.updated_at current with a trigger
CHANGE_TYPE: Trigger
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the trigger; the application then has to set
  updated_at itself again, as it did before.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-253
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "aa90cd7c564f"
down_revision: Union[str, Sequence[str], None] = "faaa83518887"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER campaigns_touch_updated_at BEFORE UPDATE ON campaigns "
            "FOR EACH ROW EXECUTE FUNCTION touch_updated_at()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER campaigns_touch_updated_at ON campaigns")
