"""organizations.keys_version: a number every change to the organization's keys replaces

A key list remembers the sizes of its runs (its total, the size of each status segment) in
the worker's memory, under the organization's `keys_version` read in the list's own
transaction (docs/performance.md, section 3). For that to be exact, every change that can
change a count must replace the number in the same transaction. Triggers do it, so no
writer (a service, the CLI, the demo, a cascade from a deleted principal or organization,
a hand-written statement) can forget:

- a key inserted or deleted;
- a key updated in any column but `last_used_at` and `last_used_address`, which the
  verification path stamps (at most once a minute) without touching the organization row:
  lists never remember a count that depends on them.

The new number is random rather than the old one plus one, so a number is never seen twice
(a change rolled back, a database restored from a backup): a remembered count can only ever
match the state it was counted in.

On SQLite the triggers are row triggers. On PostgreSQL inserts and deletes use statement
triggers with transition tables (one update of each organization row per statement: a COPY
of 100,000 keys updates it once), updates a row trigger limited to the counted columns
(the last-used stamp never fires it).

Note for later migrations: SQLite drops a table's triggers when a batch operation recreates
the table; recreate them after any batch change of `api_keys` (tests/migrations/test_keys_version.py
checks they exist at head).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Every column of api_keys a list can count by, i.e. all but the last-use stamp.
COUNTED = (
    "id",
    "organization_id",
    "title",
    "title_key",
    "role",
    "email",
    "secret_digest",
    "created_by_id",
    "created_by_name",
    "created_by_email",
    "created_at",
    "expiration_date",
    "rolled_at",
)
TRIGGERS = ("api_keys_inserted", "api_keys_deleted", "api_keys_updated")

_SQLITE_NEW = "random()"
_PG_NEW = "floor(random() * 9007199254740992)::bigint"  # 2^53: random()'s precision


def _sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COUNTED)
    return [
        f"""CREATE TRIGGER api_keys_inserted AFTER INSERT ON api_keys BEGIN
            UPDATE organizations SET keys_version = {_SQLITE_NEW}
            WHERE id = NEW.organization_id;
        END""",  # noqa: S608 - constant SQL
        f"""CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys BEGIN
            UPDATE organizations SET keys_version = {_SQLITE_NEW}
            WHERE id = OLD.organization_id;
        END""",  # noqa: S608 - constant SQL
        f"""CREATE TRIGGER api_keys_updated AFTER UPDATE OF {", ".join(COUNTED)} ON api_keys
        WHEN {changed} BEGIN
            UPDATE organizations SET keys_version = {_SQLITE_NEW}
            WHERE id IN (OLD.organization_id, NEW.organization_id);
        END""",  # noqa: S608 - constant SQL
    ]


def _postgresql_triggers() -> list[str]:
    old = ", ".join(f"OLD.{c}" for c in COUNTED)
    new = ", ".join(f"NEW.{c}" for c in COUNTED)
    return [
        f"""CREATE FUNCTION keyhouse_keys_changed() RETURNS trigger LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
        BEGIN
            UPDATE organizations SET keys_version = {_PG_NEW}
            WHERE id IN (SELECT organization_id FROM changed_keys);
            RETURN NULL;
        END $$""",  # noqa: S608 - constant SQL
        f"""CREATE FUNCTION keyhouse_key_updated() RETURNS trigger LANGUAGE plpgsql
        SET search_path FROM CURRENT AS $$
        BEGIN
            UPDATE organizations SET keys_version = {_PG_NEW}
            WHERE id IN (OLD.organization_id, NEW.organization_id);
            RETURN NULL;
        END $$""",  # noqa: S608 - constant SQL
        """CREATE TRIGGER api_keys_inserted AFTER INSERT ON api_keys
        REFERENCING NEW TABLE AS changed_keys
        FOR EACH STATEMENT EXECUTE FUNCTION keyhouse_keys_changed()""",
        """CREATE TRIGGER api_keys_deleted AFTER DELETE ON api_keys
        REFERENCING OLD TABLE AS changed_keys
        FOR EACH STATEMENT EXECUTE FUNCTION keyhouse_keys_changed()""",
        f"""CREATE TRIGGER api_keys_updated AFTER UPDATE OF {", ".join(COUNTED)} ON api_keys
        FOR EACH ROW WHEN (({old}) IS DISTINCT FROM ({new}))
        EXECUTE FUNCTION keyhouse_key_updated()""",
    ]


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column("keys_version", sa.BigInteger(), server_default="0", nullable=False),
    )
    dialect = op.get_bind().dialect.name
    statements = _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers()
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in TRIGGERS:
        op.execute(
            f"DROP TRIGGER IF EXISTS {name} ON api_keys"
            if dialect == "postgresql"
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS keyhouse_keys_changed()")
        op.execute("DROP FUNCTION IF EXISTS keyhouse_key_updated()")
    # Not a batch operation: on SQLite that would recreate (drop) the organizations table.
    op.execute("ALTER TABLE organizations DROP COLUMN keys_version")
