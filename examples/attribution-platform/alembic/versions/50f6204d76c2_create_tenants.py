"""Create tenants table

MIGRATION_ID: 202510060915
TITLE: Create tenants table
CHANGE_TYPE: Table
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade drops the empty table in development. Once tenants exist,
  a forward migration is the only way back.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-101
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '50f6204d76c2'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tenants',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('slug', sa.String(length=63), nullable=False),
        sa.Column('display_name', sa.String(length=255), nullable=False),
        sa.Column(
            'created_at',
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.UniqueConstraint('slug', name='uq_tenants_slug'),
    )


def downgrade():
    op.drop_table('tenants')
