"""api_keys (PostgreSQL): vacuumed after every 1,000 changed rows, not after 20% of the table

Verification stamps a key's `last_used_at` at most once a minute. The column is indexed (the
last-use sort), so a stamp is never a HOT update, and any update clears its heap page's
all-visible bit: until the next VACUUM, the key lists' index-only scans fetch rows from the
heap for every page a stamp touched. Measured on 100,000 keys in one organization: 1,000
stamps made cold list pages ~15% slower, 10,000 stamps about 3×; a VACUUM of the 300,000-key
table then took 0.1–0.4 s and restored them (docs/performance.md, section 5).

PostgreSQL's default waits for dead rows to reach 20% of the table (60,000 stamps for
300,000 keys). With a fixed threshold of 1,000, autovacuum (which looks every minute by
default) keeps the pages of busy keys visible again within about a minute; a quiet
organization is vacuumed no more often than before. SQLite has no visibility map and needs
nothing.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The same values as models/api_key.py declares (a migration must not change with the models).
SETTINGS = "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE api_keys SET ({SETTINGS})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE api_keys RESET (autovacuum_vacuum_scale_factor, "
            "autovacuum_vacuum_threshold)"
        )
