"""Seed the default marketing channels

MIGRATION_ID: 202512011130
TITLE: Seed the default marketing channels
CHANGE_TYPE: Data
RISK_LEVEL: Low
FORWARD_ONLY: No
ROLLBACK_STRATEGY: Downgrade deletes the seeded rows by key. Rows added later by tenants
  are left alone.
TOUCHES_RLS: No
TOUCHES_PRIVACY: No
TOUCHES_INGESTION: No
TICKET: ATTR-140
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '6e890743e86a'
down_revision = '48b3ab5335d6'
branch_labels = None
depends_on = None

# A lightweight table description: migrations never import the application's models.
channels = sa.table(
    'channels',
    sa.column('key', sa.String),
    sa.column('label', sa.String),
)

DEFAULT_CHANNELS = [
    {'key': 'paid_search', 'label': 'Paid search'},
    {'key': 'paid_social', 'label': 'Paid social'},
    {'key': 'display', 'label': 'Display'},
    {'key': 'email', 'label': 'Email'},
    {'key': 'organic', 'label': 'Organic'},
    {'key': 'referral', 'label': 'Referral'},
]


def upgrade():
    op.bulk_insert(channels, DEFAULT_CHANNELS)


def downgrade():
    keys = [row['key'] for row in DEFAULT_CHANNELS]
    op.execute(channels.delete().where(channels.c.key.in_(keys)))
