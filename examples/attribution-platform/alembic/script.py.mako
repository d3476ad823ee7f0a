"""${message}

MIGRATION_ID: ${create_date.strftime("%Y%m%d%H%M")}
TITLE: ${message}
CHANGE_TYPE: Column
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Run the downgrade in development only. In staging and production,
  roll back with a new forward migration (see docs/database/RUNBOOK-MIGRATION-POLICY.md).
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision: str = ${repr(up_revision)}
down_revision: Union[str, Sequence[str], None] = ${repr(down_revision)}
branch_labels: Union[str, Sequence[str], None] = ${repr(branch_labels)}
depends_on: Union[str, Sequence[str], None] = ${repr(depends_on)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
