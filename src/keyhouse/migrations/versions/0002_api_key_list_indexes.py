"""covering indexes for API key lists at scale

Each sortable column of the API Keys page gets an index (organization_id, column, id,
title_key): the page's ids are read from it in order, the title filter checked on the index
entry itself, without visiting the table (docs/performance.md has the plans). The id index
also carries expiration_date, for the status order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# name -> columns
NEW = {
    "ix_api_keys_org_created": ["organization_id", "created_at", "id", "title_key"],
    "ix_api_keys_org_expiration": ["organization_id", "expiration_date", "id", "title_key"],
    "ix_api_keys_org_title": ["organization_id", "title_key", "id"],
    "ix_api_keys_org_id": ["organization_id", "id", "expiration_date", "title_key"],
    "ix_api_keys_org_creator": ["organization_id", "created_by_name", "id", "title_key"],
    "ix_api_keys_org_role": ["organization_id", "role", "id", "title_key"],
    "ix_api_keys_org_last_used": ["organization_id", "last_used_at", "id", "title_key"],
    "ix_api_keys_org_email": ["organization_id", "email", "id", "title_key"],
}
OLD = {
    "ix_api_keys_org_created": ["organization_id", "created_at", "id"],
    "ix_api_keys_org_expiration": ["organization_id", "expiration_date", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        for name in OLD:
            batch_op.drop_index(name)
        for name, columns in NEW.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        for name in NEW:
            batch_op.drop_index(name)
        for name, columns in OLD.items():
            batch_op.create_index(name, columns, unique=False)
