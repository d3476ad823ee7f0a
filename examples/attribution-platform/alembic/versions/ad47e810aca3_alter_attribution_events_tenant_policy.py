"""Let attribution_events isolation return no rows when no tenant is set

MIGRATION_ID: 202606151400
TITLE: Let attribution_events isolation return no rows when no tenant is set
CHANGE_TYPE: RLS
RISK_LEVEL: High
FORWARD_ONLY: No
JUSTIFICATION: Maintenance jobs that connect without app.current_tenant_id failed with
  "unrecognized configuration parameter" instead of seeing nothing. Reading the setting
  with missing_ok makes an unset tenant match no rows, which is what the RLS contract
  (version 2) requires. Reviewed by the security partner in ATTR-226.
ROLLBACK_STRATEGY: Downgrade restores the previous policy text in development. In
  production, a forward migration restores it; no data changes either way.
TOUCHES_RLS: Yes
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
DOC_REFS: docs/database/rls-contract.md, docs/adr/ADR-011-tenant-isolation-with-row-level-security.md
TICKET: ATTR-226
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "ad47e810aca3"
down_revision: Union[str, Sequence[str], None] = "9d326016c011"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER POLICY tenant_isolation ON attribution_events "
            "USING (tenant_id = current_setting('app.current_tenant_id', true)::integer)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER POLICY tenant_isolation ON attribution_events "
            "USING (tenant_id = current_setting('app.current_tenant_id')::integer)"
        )
