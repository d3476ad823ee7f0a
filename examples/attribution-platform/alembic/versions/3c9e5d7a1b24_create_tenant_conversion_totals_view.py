"""Create the tenant_conversion_totals view

MIGRATION_ID: 202611161000
TITLE: Create the tenant_conversion_totals view
CHANGE_TYPE: View
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the view; the billing export reads the conversions
  table directly again.
TOUCHES_RLS: Yes
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
DOC_REFS: docs/database/rls-contract.md
TICKET: ATTR-272
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3c9e5d7a1b24"
down_revision: Union[str, Sequence[str], None] = "ea9c9f8287b0"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # security_invoker: the view must not bypass row-level security on conversions,
        # which a view owned by the table owner would otherwise do.
        op.execute(
            """
            CREATE VIEW tenant_conversion_totals WITH (security_invoker = true) AS
            SELECT tenant_id,
                   kind,
                   COUNT(*) AS conversions,
                   SUM(revenue_minor_units) AS revenue_minor_units
            FROM conversions
            GROUP BY tenant_id, kind
            """
        )
    else:
        op.execute(
            """
            CREATE VIEW tenant_conversion_totals AS
            SELECT tenant_id,
                   kind,
                   COUNT(*) AS conversions,
                   SUM(revenue_minor_units) AS revenue_minor_units
            FROM conversions
            GROUP BY tenant_id, kind
            """
        )


def downgrade() -> None:
    op.execute("DROP VIEW tenant_conversion_totals")
