"""Enforce tenant isolation on attribution_events with row-level security

MIGRATION_ID: 202511171400
TITLE: Enforce tenant isolation on attribution_events with row-level security
CHANGE_TYPE: RLS
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the policy and disables row-level security in
  development. In production, never disable isolation: fix a faulty policy with a new
  forward migration reviewed against the RLS contract.
TOUCHES_RLS: Yes
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/database/rls-contract.md, docs/adr/ADR-011-tenant-isolation-with-row-level-security.md
TICKET: ATTR-131
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0726cd02b4fa'
down_revision = 'ce1474f1128f'
branch_labels = None
depends_on = None


def upgrade():
    # Row-level security exists only in PostgreSQL; local SQLite databases hold one tenant.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE attribution_events ENABLE ROW LEVEL SECURITY')
        op.execute(
            "CREATE POLICY tenant_isolation ON attribution_events "
            "USING (tenant_id = current_setting('app.current_tenant_id')::integer)"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP POLICY tenant_isolation ON attribution_events')
        op.execute('ALTER TABLE attribution_events DISABLE ROW LEVEL SECURITY')
