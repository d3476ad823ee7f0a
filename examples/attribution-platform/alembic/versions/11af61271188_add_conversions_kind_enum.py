"""Classify conversions with a conversion_kind enum

MIGRATION_ID: 202610051030
TITLE: Classify conversions with a conversion_kind enum
CHANGE_TYPE: Enum
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the column and the type in development. Existing rows
  get 'purchase' from the server default, so older webhooks keep working and production
  needs no rollback for a deploy revert.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md
TICKET: ATTR-260
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = "11af61271188"
down_revision: Union[str, Sequence[str], None] = "aa90cd7c564f"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

conversion_kind = sa.Enum("purchase", "signup", "lead", "refund", name="conversion_kind")


def upgrade() -> None:
    # A named PostgreSQL type; on SQLite the enum is a plain VARCHAR.
    conversion_kind.create(op.get_bind(), checkfirst=True)
    op.add_column(
        "conversions",
        sa.Column("kind", conversion_kind, nullable=False, server_default="purchase"),
    )


def downgrade() -> None:
    op.drop_column("conversions", "kind")
    conversion_kind.drop(op.get_bind(), checkfirst=True)
