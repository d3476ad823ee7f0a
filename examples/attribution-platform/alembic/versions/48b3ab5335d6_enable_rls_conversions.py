"""Enforce tenant isolation on conversions with row-level security

MIGRATION_ID: 202511241000
TITLE: Enforce tenant isolation on conversions with row-level security
CHANGE_TYPE: RLS
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the policy and disables row-level security in
  development only. Production fixes go forward, as for attribution_events.
TOUCHES_RLS: Yes
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/database/rls-contract.md
TICKET: ATTR-133
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '48b3ab5335d6'
down_revision = '0726cd02b4fa'
branch_labels = None
depends_on = None


def upgrade():
    # Same policy text as attribution_events: the contract allows exactly one predicate.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE conversions ENABLE ROW LEVEL SECURITY')
        op.execute(
            "CREATE POLICY tenant_isolation ON conversions "
            "USING (tenant_id = current_setting('app.current_tenant_id')::integer)"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP POLICY tenant_isolation ON conversions')
        op.execute('ALTER TABLE conversions DISABLE ROW LEVEL SECURITY')
