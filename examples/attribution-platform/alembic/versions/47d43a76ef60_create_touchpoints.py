"""Create touchpoints table

MIGRATION_ID: 202510221130
TITLE: Create touchpoints table
CHANGE_TYPE: Table
RISK_LEVEL: Medium
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the table in development. Touchpoints are derived
  from attribution_events and can be rebuilt by the nightly job.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-112
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '47d43a76ef60'
down_revision = '7851c7d388eb'
branch_labels = None
depends_on = None


def upgrade():
    # One row per event that contributed to a visitor journey (first-touch model).
    op.create_table(
        'touchpoints',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('tenant_id', sa.Integer(), sa.ForeignKey('tenants.id'), nullable=False),
        sa.Column(
            'event_id',
            sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
            sa.ForeignKey('attribution_events.id'),
            nullable=False,
        ),
        sa.Column('journey_key', sa.String(length=64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
    )


def downgrade():
    op.drop_table('touchpoints')
