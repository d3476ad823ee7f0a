"""Enable the pg_trgm extension

MIGRATION_ID: 202610191000
TITLE: Enable the pg_trgm extension
CHANGE_TYPE: Extension
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the extension in development. In production it is
  left installed; an unused extension costs nothing.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-266
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "ff053aefeb53"
down_revision: Union[str, Sequence[str], None] = "11af61271188"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP EXTENSION IF EXISTS pg_trgm")
