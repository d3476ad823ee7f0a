"""Enforce tenant isolation on ad_spend with row-level security

MIGRATION_ID: 202604271100
TITLE: Enforce tenant isolation on ad_spend with row-level security
CHANGE_TYPE: RLS
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the policy and disables row-level security in
  development only. Production fixes go forward.
TOUCHES_RLS: Yes
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/database/rls-contract.md
TICKET: ATTR-210
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e930f7b7c68c"
down_revision: Union[str, Sequence[str], None] = "d5c127ee4aa3"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ad_spend ENABLE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON ad_spend "
            "USING (tenant_id = current_setting('app.current_tenant_id')::integer)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY tenant_isolation ON ad_spend")
        op.execute("ALTER TABLE ad_spend DISABLE ROW LEVEL SECURITY")
