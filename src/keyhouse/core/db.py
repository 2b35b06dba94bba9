"""Engine, sessions and the one-transaction-per-request dependency."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from keyhouse.core.config import Settings
from keyhouse.core.prepared import observed

logger = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# A pooled PostgreSQL connection idle for longer is pinged before use (see _ping_if_idle).
IDLE_PING_SECONDS = 1.0


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the driver so BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 10000")
        cursor.close()
        # SQLite's own lower() folds ASCII only; list filters are case-insensitive in every
        # script, as on PostgreSQL (no index is built on lower(), so replacing it is safe).
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A write transaction that reads first must hold the write lock from the start,
        # or two of them can read the same state and one fails on upgrade.
        begin = "BEGIN IMMEDIATE" if conn.get_execution_options().get("keyhouse_write") else "BEGIN"
        if observed(conn):
            conn.exec_driver_sql(begin)  # so listeners (tracing, statement counts) see it
        else:
            # Straight to the driver: every request begins, and the full statement path
            # costs more than the BEGIN itself (core/prepared.py).
            conn.connection.dbapi_connection.execute(begin)


def make_engine(url: str, settings: Settings | None = None) -> Engine:
    if url.startswith("sqlite"):
        if not url.startswith("sqlite:///:memory:") and url != "sqlite://":
            path = url.removeprefix("sqlite:///")
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=settings.pool_size(sqlite=True) if settings else 10,
            hide_parameters=True,
        )
        _configure_sqlite(engine)
        return engine
    return _postgresql_engine(
        url, settings, pool_size=settings.pool_size(sqlite=False) if settings else 5
    )


def make_autocommit_engine(url: str, settings: Settings | None = None) -> Engine:
    """PostgreSQL connections that are always in autocommit mode, with a pool of their own.

    Switching a pooled connection into autocommit for one unit of work and back at checkin
    (an `isolation_level` execution option) costs about 20 µs a request, more than a third
    of what the session itself costs; and a rollback at checkin has nothing to undo.
    """
    return _postgresql_engine(
        url,
        settings,
        # At most one point read per worker thread at a time.
        pool_size=settings.threads(sqlite=False) if settings else 4,
        isolation_level="AUTOCOMMIT",
        skip_autocommit_rollback=True,
    )


def _postgresql_engine(
    url: str, settings: Settings | None, *, pool_size: int, **options: Any
) -> Engine:
    # hide_parameters: SQL logging and database errors (which are logged) never show the
    # values, among them CSRF tokens and digests.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=settings.db_max_overflow if settings else 10,
        hide_parameters=True,
        **options,
    )
    _ping_if_idle(engine)
    return engine


def _ping_if_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it sat idle (`IDLE_PING_SECONDS`).

    `pool_pre_ping` pings at every checkout: a round trip (and a BEGIN) per request. A
    connection used a moment ago is known to work; the ones that break unseen are those
    left idle (a database restart in a quiet hour, an idle timeout on the way). A busy
    connection broken by a restart fails its request, and SQLAlchemy then replaces every
    connection of the pool opened before the failure.
    """

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return  # just opened, or just used
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_connection.rollback()  # no transaction left open by the ping
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError() from error


class Database:
    """The engine plus session factories for read and write transactions."""

    def __init__(self, url: str, settings: Settings | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, settings)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_engine = self.engine.execution_options(keyhouse_write=True)
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(bind=write_engine, expire_on_commit=False)
        # Point reads (core/routing.py) on PostgreSQL: each statement in its own implicit
        # transaction, so no BEGIN and COMMIT round trips. Under READ COMMITTED a
        # transaction gives each statement its own snapshot anyway, so a read-only unit of
        # work sees exactly what it would see inside one.
        self.autocommit_engine = None if self.is_sqlite else make_autocommit_engine(url, settings)
        self._point = (
            self._read
            if self.autocommit_engine is None
            else sessionmaker(
                bind=self.autocommit_engine, expire_on_commit=False, info={"autocommit": True}
            )
        )

    def readers_never_wait(self) -> bool:
        """Whether a read can never wait for a writer: SQLite in WAL mode (which the connect
        hook asks for, but a file system without shared memory refuses)."""
        if not self.is_sqlite:
            return False
        with self.engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        return str(mode).lower() == "wal"

    def session(self, *, write: bool, point_read: bool = False) -> Session:
        if point_read and not write:
            return self._point()
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work outside HTTP (CLI, tests): commit on success, else roll back."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.autocommit_engine is not None:
            self.autocommit_engine.dispose()


def autocommits(session: Session) -> bool:
    """Whether each statement of `session` commits on its own (PostgreSQL point reads)."""
    return bool(session.info.get("autocommit"))


def after_rollback(session: Session, action: Callable[[Session], object]) -> None:
    """Run `action` in a fresh transaction if this one rolls back (records of refusals)."""
    session.info.setdefault("after_rollback", []).append(action)


def run_after_rollback(session: Session) -> None:
    """Run the actions `after_rollback` registered, in a new transaction."""
    actions: list[Callable[[Session], object]] = session.info.pop("after_rollback", [])
    if not actions:
        return
    try:
        for action in actions:
            action(session)
        session.commit()
    except Exception:
        # The original error is what the client must see; this one is only logged.
        session.rollback()
        logger.exception("could not record an event after a rollback")


def abandon(session: Session) -> None:
    """End a failed unit of work: roll back, then record what must survive the rollback."""
    session.rollback()
    run_after_rollback(session)


async def get_session(request: Request) -> Session:
    """The request's session: created here, on the event loop (no I/O: a connection is
    taken on first use); committed or abandoned, then closed, by the route's worker-thread
    call (`core.routing.WorkerRoute`), in the thread that used it."""
    route = request.scope.get("route")
    if not getattr(route, "ends_sessions", False):
        # Nothing else would end the transaction: refuse at once rather than lose writes.
        raise RuntimeError(f"{getattr(route, 'path', route)}: sessions need a WorkerRoute")
    db: Database = request.app.state.db
    return db.session(
        write=request.method in UNSAFE_METHODS, point_read=getattr(route, "point_read", False)
    )


SessionDep = Annotated[Session, Depends(get_session)]
