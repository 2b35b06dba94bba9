"""The engine's connection handling: point-read sessions, and pings of idle connections."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from keyhouse.core import db as db_module
from keyhouse.core.db import Database


def _autocommit(session: object) -> bool:
    connection = session.connection().connection.dbapi_connection  # type: ignore[attr-defined]
    return bool(connection.autocommit)


def test_point_read_sessions_need_no_transaction_on_postgresql(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite point reads run on the event loop instead (core/routing.py)")
    point = db.session(write=False, point_read=True)
    try:
        assert _autocommit(point)
        point.execute(text("SELECT 1"))
        # Nothing is open on the server: no BEGIN was sent, so no COMMIT is needed.
        status = point.connection().connection.dbapi_connection.info.transaction_status
        assert status.name == "IDLE"
        point.commit()
    finally:
        point.close()
    # Point reads have a pool of their own, always in autocommit; every other session is
    # transactional.
    assert point.get_bind() is db.autocommit_engine
    for write in (False, True):
        with db.transaction(write=write) as session:
            assert not _autocommit(session)
    # A write is never a point read.
    session = db.session(write=True, point_read=True)
    try:
        assert not _autocommit(session)
    finally:
        session.close()


def _terminate(url: str, pid: int) -> None:
    killer = create_engine(url, poolclass=None)
    try:
        with killer.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()


def _pooled_backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _pools(db: Database) -> list[Engine]:
    if db.is_sqlite:
        pytest.skip("a PostgreSQL pool")
    assert db.autocommit_engine is not None
    return [db.engine, db.autocommit_engine]


@pytest.mark.parametrize("pool", [0, 1], ids=["transactions", "point reads"])
def test_an_idle_connection_that_broke_is_replaced_before_use(
    db: Database, monkeypatch: pytest.MonkeyPatch, pool: int
) -> None:
    engine = _pools(db)[pool]
    engine.dispose()  # one connection in the pool: the one killed below
    _terminate(db.url, _pooled_backend(engine))
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)  # it counts as idle
    assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


@pytest.mark.parametrize("pool", [0, 1], ids=["transactions", "point reads"])
def test_a_busy_connection_is_not_pinged(
    db: Database, monkeypatch: pytest.MonkeyPatch, pool: int
) -> None:
    engine = _pools(db)[pool]
    engine.dispose()
    _terminate(db.url, _pooled_backend(engine))
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)  # used a moment ago
    # No round trip was spent on checking it, so its first statement finds it broken...
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    # ...and the pool replaced it.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_only_sqlite_in_wal_mode_has_readers_that_never_wait(db: Database) -> None:
    assert db.readers_never_wait() is db.is_sqlite
    if not db.is_sqlite:
        return
    # An in-memory database cannot be in WAL mode: its reads may wait, so none run inline.
    memory = Database("sqlite://")
    try:
        assert memory.readers_never_wait() is False
    finally:
        memory.dispose()
