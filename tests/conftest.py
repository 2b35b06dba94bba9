"""Fixtures: a real migrated database per test, on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from keyhouse.app import create_app
from keyhouse.auth.passwords import use_cheap_hashing_for_tests
from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.core.db import Database
from keyhouse.core.migrate import upgrade
from keyhouse.models import Base
from tests.factories import World, build_world

use_cheap_hashing_for_tests()

# No deadlines: a loaded CI machine must not turn slowness into failures.
hypothesis_settings.register_profile("keyhouse", deadline=None, max_examples=200)
hypothesis_settings.register_profile("quick", deadline=None, max_examples=25)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "keyhouse"))

# No background webhook worker in apps built by tests (or servers they start): tests drive
# sweep() and deliver_due() themselves; tests of the worker turn it on explicitly.
os.environ.setdefault("KEYHOUSE_WEBHOOK_WORKER", "false")

POSTGRES_URL = os.environ.get("KEYHOUSE_TEST_POSTGRES_URL")
ENGINES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@contextmanager
def scratch_schema(prefix: str) -> Iterator[str]:
    """The test server's URL with its search_path set to a new, empty schema (dropped after)."""
    assert POSTGRES_URL
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = Database(POSTGRES_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated(engine_name: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per session: a SQLite template file or a PG URL."""
    if engine_name == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        db.dispose()
        return str(path)
    assert POSTGRES_URL
    db = Database(POSTGRES_URL)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(db)
    db.dispose()
    return POSTGRES_URL


@pytest.fixture
def db(engine_name: str, migrated: str, tmp_path: Path) -> Iterator[Database]:
    if engine_name == "sqlite":
        path = tmp_path / "keyhouse.db"
        shutil.copyfile(migrated, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = Database(migrated)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, secret_key="test-secret", api_key_email_domain="keys.test")


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    return build_world(db, settings)


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    fake = FrozenClock(datetime(2030, 6, 15, 12, 0, tzinfo=UTC))
    clock.set_clock(fake)
    yield fake
    clock.set_clock(None)
