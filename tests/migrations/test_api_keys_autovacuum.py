"""Migration 0005: on PostgreSQL, api_keys is vacuumed after 1,000 changed rows (last-use
stamps clear the visibility map the key lists' index-only scans rely on)."""

from __future__ import annotations

from alembic import command

from keyhouse.core.db import Database
from keyhouse.core.migrate import alembic_config, upgrade
from keyhouse.models import ApiKey

EXPECTED = {"autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=1000"}


def _options(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        found = conn.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE oid = 'api_keys'::regclass"
        ).scalar_one()
    return set(found or ())


def test_upgrade_sets_and_downgrade_resets_the_vacuum_threshold(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        upgrade(db, "0004")
        if not db.is_sqlite:
            assert _options(db) == set()
        upgrade(db)
        if not db.is_sqlite:
            assert _options(db) == EXPECTED
        config = alembic_config(db.url)
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        if not db.is_sqlite:
            assert _options(db) == set()
    finally:
        db.dispose()


def test_the_model_declares_what_the_migration_sets() -> None:
    declared = ApiKey.__table__.dialect_options["postgresql"]["with"]
    assert {f"{name}={value}" for name, value in declared.items()} == EXPECTED
