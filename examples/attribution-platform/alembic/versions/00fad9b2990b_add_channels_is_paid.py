"""Add is_paid flag to channels

MIGRATION_ID: 202601191400
TITLE: Add is_paid flag to channels
CHANGE_TYPE: Column
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the column in development. The server default keeps
  older application versions working, so production needs no rollback for a deploy revert.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-166
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "00fad9b2990b"
down_revision: Union[str, Sequence[str], None] = "42a5c8144002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # NOT NULL with a server default: existing rows get "false" without a rewrite in PostgreSQL 11+.
    op.add_column(
        "channels",
        sa.Column("is_paid", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("channels", "is_paid")
