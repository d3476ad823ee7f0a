"""Merge the order_reference and reporting branches

MIGRATION_ID: 202602161000
TITLE: Merge the order_reference and reporting branches
CHANGE_TYPE: Merge
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Nothing to roll back: a merge revision joins two heads and makes no
  schema change. Downgrading past it returns to the two branch heads.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-186
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "5ac81cc458a3"
down_revision: Union[str, Sequence[str], None] = ("30705b64ffa9", "96d1b23a6790")
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
