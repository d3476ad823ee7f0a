"""Create channel_daily_performance materialized view

MIGRATION_ID: 202602101500
TITLE: Create channel_daily_performance materialized view
CHANGE_TYPE: Matview
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the view and its index. Dashboards fall back to the
  live query, which is slower but correct.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
DOC_REFS: docs/adr/ADR-016-refresh-reporting-views-from-the-scheduler.md
TICKET: ATTR-183
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "96d1b23a6790"
down_revision: Union[str, Sequence[str], None] = "94ccda80e852"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Materialized views are PostgreSQL-only; local SQLite dashboards query the table directly.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE MATERIALIZED VIEW channel_daily_performance AS
            SELECT tenant_id,
                   channel_id,
                   date_trunc('day', occurred_at) AS day,
                   count(*) AS events
            FROM attribution_events
            GROUP BY tenant_id, channel_id, date_trunc('day', occurred_at)
            WITH NO DATA
            """
        )
        # REFRESH ... CONCURRENTLY needs a unique index on the view.
        op.execute(
            "CREATE UNIQUE INDEX ux_channel_daily_performance "
            "ON channel_daily_performance (tenant_id, channel_id, day)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP MATERIALIZED VIEW channel_daily_performance")
