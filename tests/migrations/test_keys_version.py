"""Migration 0004: `organizations.keys_version` and the triggers that replace it.

An upgrade of a database made by 0003 (keys in it), a downgrade and a new upgrade, on each
engine; then, column by column, which changes to a key replace the number: all but the
last-use stamp, which verification writes without touching the organization row.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, delete, select, text, update

from keyhouse.core.db import Database
from keyhouse.core.migrate import alembic_config, upgrade
from keyhouse.models import ApiKey, Organization
from tests.factories import World, make_key

TRIGGERS = {"api_keys_inserted", "api_keys_deleted", "api_keys_updated"}
VOLATILE = {"last_used_at", "last_used_address"}  # the verification path's stamp


def _downgrade(db: Database, revision: str) -> None:
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _triggers(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'api_keys'"
    else:
        sql = (
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'api_keys'::regclass "
            "AND NOT tgisinternal"
        )
    return {row[0] for row in conn.exec_driver_sql(sql)}


def _columns(conn: Connection, table: str) -> set[str]:
    if conn.dialect.name == "sqlite":
        return {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
    rows = conn.exec_driver_sql(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %(t)s",
        {"t": table},
    )
    return {row[0] for row in rows}


def _insert_key(conn: Connection, org_id: str, title: str) -> str:
    key_id = str(uuid.uuid4())
    conn.execute(
        text("INSERT INTO principals (id, organization_id, kind) VALUES (:id, :org, 'apiKey')"),
        {"id": key_id, "org": org_id},
    )
    conn.execute(
        text(
            "INSERT INTO api_keys (id, organization_id, title, title_key, role, email, "
            "secret_digest, created_by_name, created_by_email, created_at, expiration_date) "
            "VALUES (:id, :org, :title, :key, 'editor', :email, :digest, 'Ada', 'ada@x.test', "
            ":made, :expires)"
        ),
        {
            "id": key_id,
            "org": org_id,
            "title": title,
            "key": title.lower(),
            "email": f"api-key-{key_id}@x.test",
            "digest": uuid.uuid4().hex * 2,
            "made": datetime(2030, 1, 1, tzinfo=UTC),
            "expires": date(2031, 1, 1),
        },
    )
    return key_id


def _version(conn: Connection, org_id: str) -> Any:
    return conn.execute(
        text("SELECT keys_version FROM organizations WHERE id = :id"), {"id": org_id}
    ).scalar_one()


def test_upgrade_from_0003_with_keys_then_down_and_up_again(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        upgrade(db, "0003")
        org_id = str(uuid.uuid4())
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organizations (id, name, slug, created_at, expiry_warning_days) "
                    "VALUES (:id, 'Old', 'old', :at, 14)"
                ),
                {"id": org_id, "at": datetime(2030, 1, 1, tzinfo=UTC)},
            )
            first = _insert_key(conn, org_id, "Before 0004")
            assert "keys_version" not in _columns(conn, "organizations")

        upgrade(db)
        with db.engine.begin() as conn:
            assert _triggers(conn) == TRIGGERS
            assert _version(conn, org_id) == 0  # existing organizations start at 0
            _insert_key(conn, org_id, "After 0004")
            inserted = _version(conn, org_id)
            assert inserted != 0
            conn.execute(text("DELETE FROM api_keys WHERE id = :id"), {"id": first})
            assert _version(conn, org_id) != inserted

        _downgrade(db, "0003")
        with db.engine.begin() as conn:
            assert _triggers(conn) == set()
            assert "keys_version" not in _columns(conn, "organizations")
            _insert_key(conn, org_id, "Back on 0003")  # no trigger left behind
            if conn.dialect.name == "postgresql":
                functions = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = "
                    "pronamespace WHERE nspname = current_schema() AND proname LIKE 'keyhouse_%%'"
                ).scalar_one()
                assert functions == 0

        upgrade(db)
        with db.engine.begin() as conn:
            assert _triggers(conn) == TRIGGERS
            assert conn.execute(text("SELECT count(*) FROM api_keys")).scalar_one() == 2
    finally:
        db.dispose()


def _changed(column: Any, current: Any) -> Any:
    """A valid value other than `current` for the key's `column`."""
    if column.name == "role":
        return "viewer" if current == "editor" else "editor"
    python_type = getattr(column.type, "impl_instance", column.type).python_type
    if python_type is datetime:
        return (current or datetime(2030, 1, 1, tzinfo=UTC)) + timedelta(minutes=7)
    if python_type is date:
        return current + timedelta(days=3)
    if column.name == "secret_digest":
        return uuid.uuid4().hex * 2
    return f"changed-{uuid.uuid4().hex[:8]}@{column.name}"


@pytest.mark.parametrize(
    "name", [c.name for c in ApiKey.__table__.c if c.name not in ("id", "organization_id")]
)
def test_which_changes_replace_the_number(
    frozen_clock: Any, world: World, db: Database, name: str
) -> None:
    """Every column a list may count by replaces the number (a new column must be added to
    the triggers, or this fails); the last-use stamp does not. (id and organization_id
    are in the triggers too, but foreign keys keep them from changing.)"""
    key_id, _ = make_key(world, title="Subject")
    column = ApiKey.__table__.c[name]
    with db.transaction() as s:
        before = s.scalar(select(Organization.keys_version).where(Organization.id == world.org.id))
        current = s.scalar(select(column).where(ApiKey.id == key_id))
        s.execute(
            update(ApiKey).where(ApiKey.id == key_id).values({name: _changed(column, current)})
        )
    with db.transaction() as s:
        after = s.scalar(select(Organization.keys_version).where(Organization.id == world.org.id))
        # The same value written again is no change.
        value = s.scalar(select(column).where(ApiKey.id == key_id))
        s.execute(update(ApiKey).where(ApiKey.id == key_id).values({name: value}))
    with db.transaction(write=False) as s:
        again = s.scalar(select(Organization.keys_version).where(Organization.id == world.org.id))
    assert (after != before) == (name not in VOLATILE), name
    assert again == after


def test_another_organizations_number_is_its_own(world: World, db: Database) -> None:
    with db.transaction(write=False) as s:
        other = s.scalar(select(Organization.keys_version).where(Organization.id == world.other.id))
    make_key(world, title="Only acme's")
    with db.transaction(write=False) as s:
        assert (
            s.scalar(select(Organization.keys_version).where(Organization.id == world.other.id))
            == other
        )


def test_deleting_an_organization_with_keys(world: World, db: Database) -> None:
    """The cascade deletes the keys, whose trigger finds the organization row gone: no
    error, and the other organization's number is untouched."""
    make_key(world, title="Doomed")
    make_key(world, org=world.other, title="Kept")
    with db.transaction(write=False) as s:
        other = s.scalar(select(Organization.keys_version).where(Organization.id == world.other.id))
    with db.transaction() as s:
        s.execute(delete(Organization).where(Organization.id == world.org.id))
    with db.transaction(write=False) as s:
        assert s.scalars(select(ApiKey.title)).all() == ["Kept"]
        assert (
            s.scalar(select(Organization.keys_version).where(Organization.id == world.other.id))
            == other
        )
