"""Create conversions table for conversion ingestion

MIGRATION_ID: 202510271600
TITLE: Create conversions table for conversion ingestion
CHANGE_TYPE: Table
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the table in development. In production, pause the
  conversion webhooks and roll back with a forward migration.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: Yes
DOC_REFS: docs/ingestion/event-contract.md
TICKET: ATTR-115
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'cbbabc06a68f'
down_revision = '47d43a76ef60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'conversions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('tenant_id', sa.Integer(), sa.ForeignKey('tenants.id'), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.Column('visitor_key', sa.String(length=64), nullable=False),
        sa.Column('converted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revenue_minor_units', sa.BigInteger(), nullable=True),
        sa.Column('currency', sa.String(length=3), nullable=True),
        # Loose reference to touchpoints.journey_key, resolved by the attribution job.
        sa.Column('touchpoint_ref', sa.String(length=64), nullable=True),
    )


def downgrade():
    op.drop_table('conversions')
