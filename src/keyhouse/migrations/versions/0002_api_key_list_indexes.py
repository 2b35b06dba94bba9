"""indexes for scale: API key lists, and resource deletion cascades

Each sortable column of the API Keys page gets an index (organization_id, column, id,
title_key): the page's ids are read from it in order, the title filter checked on the index
entry itself, without visiting the table (docs/performance.md has the plans). The id index
also carries expiration_date and last_used_at: the status segments and the never-used keys
are read from it in id order.

The indexes on resources' project_id and data_source_id also carry organization_id: they
serve the composite foreign keys' ON DELETE CASCADE lookups, which SQLite otherwise may
answer with a scan of the table for every deleted project or data source.

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
    "ix_api_keys_org_id": ["organization_id", "id", "expiration_date", "last_used_at", "title_key"],
    "ix_api_keys_org_creator": ["organization_id", "created_by_name", "id", "title_key"],
    "ix_api_keys_org_role": ["organization_id", "role", "id", "title_key"],
    "ix_api_keys_org_last_used": ["organization_id", "last_used_at", "id", "title_key"],
    "ix_api_keys_org_email": ["organization_id", "email", "id", "title_key"],
}
OLD = {
    "ix_api_keys_org_created": ["organization_id", "created_at", "id"],
    "ix_api_keys_org_expiration": ["organization_id", "expiration_date", "id"],
}


RESOURCES_NEW = {
    "ix_resources_project_id": ["project_id", "organization_id"],
    "ix_resources_data_source_id": ["data_source_id", "organization_id"],
}
RESOURCES_OLD = {
    "ix_resources_project_id": ["project_id"],
    "ix_resources_data_source_id": ["data_source_id"],
}


def _replace(table: str, old: dict[str, list[str]], new: dict[str, list[str]]) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in old:
            batch_op.drop_index(name)
        for name, columns in new.items():
            batch_op.create_index(name, columns, unique=False)


def upgrade() -> None:
    _replace("api_keys", OLD, NEW)
    _replace("resources", RESOURCES_OLD, RESOURCES_NEW)


def downgrade() -> None:
    _replace("resources", RESOURCES_NEW, RESOURCES_OLD)
    _replace("api_keys", NEW, OLD)
