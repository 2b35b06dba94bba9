"""Fixtures for migration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from keyhouse.core.db import Database
from tests.conftest import POSTGRES_URL


@pytest.fixture
def empty_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a PostgreSQL schema of its own."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    assert POSTGRES_URL
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
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
