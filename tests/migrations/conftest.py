"""Fixtures for migration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import scratch_schema


@pytest.fixture
def empty_url(engine_name: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a PostgreSQL schema of its own."""
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with scratch_schema("migrations") as url:
        yield url
