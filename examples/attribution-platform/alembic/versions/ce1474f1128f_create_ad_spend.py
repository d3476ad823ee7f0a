"""Create ad_spend table for daily spend imports

MIGRATION_ID: 202511101130
TITLE: Create ad_spend table for daily spend imports
CHANGE_TYPE: Table
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the table in development. In production, disable the
  spend importers and roll back with a forward migration; spend files are re-importable.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md, docs/adr/ADR-012-record-ad-spend-as-decimal-amounts.md
TICKET: ATTR-125
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'ce1474f1128f'
down_revision = '1257ce106e8f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ad_spend',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('tenant_id', sa.Integer(), sa.ForeignKey('tenants.id'), nullable=False),
        sa.Column('campaign_id', sa.Integer(), sa.ForeignKey('campaigns.id'), nullable=False),
        sa.Column('spend_date', sa.Date(), nullable=False),
        # Decimal amount in the account currency (ADR-012).
        sa.Column('spend_amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.UniqueConstraint(
            'tenant_id', 'campaign_id', 'spend_date', name='uq_ad_spend_campaign_day'
        ),
    )


def downgrade():
    op.drop_table('ad_spend')
