"""The hot path: turn an `Api-Key` secret into a principal.

Shape and checksum first (no I/O), then one lookup by the unique digest index, selecting
only the columns needed; no ORM objects. `last_used_at` is written at most once a minute.

The lookup is the one statement every API call makes, so it skips SQLAlchemy's per-call
execution machinery (which costs about twice the query itself): the statement is compiled
once per dialect and run on the connection's own DBAPI cursor, and the values are converted
by the columns' own SQLAlchemy types. The connection, its pool and its transaction are
still SQLAlchemy's. Whenever something observes statements (a `before_cursor_execute` or
`after_cursor_execute` listener, `echo`), or the driver raises, the ordinary
`Connection.execute` path runs instead, so listeners see the lookup and errors surface as
SQLAlchemy's (with disconnect handling). docs/performance.md has the measurements.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Dialect, bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from keyhouse.auth import keys
from keyhouse.core import clock
from keyhouse.core.errors import Unauthenticated
from keyhouse.models import ApiKey

LAST_USED_GRANULARITY = timedelta(minutes=1)

_KEYS = ApiKey.__table__.c
_COLUMNS = (
    _KEYS.id,
    _KEYS.organization_id,
    _KEYS.role,
    _KEYS.title,
    _KEYS.email,
    _KEYS.expiration_date,
    _KEYS.last_used_at,
)
# Built once: the statement is cached and only the digest changes per call. Plain table
# columns (not ORM attributes): a Core statement, no ORM compile step.
_LOOKUP = select(*_COLUMNS).where(_KEYS.secret_digest == bindparam("digest"))
# Writes by a key hold a share lock on its row until commit, so a concurrent deletion
# (which locks the row for update) either waits for the write and then transfers what it
# created, or goes first and the write finds no key. Nothing is orphaned in between.
_LOOKUP_SHARED = _LOOKUP.with_for_update(read=True)

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Prepared:
    """`_LOOKUP` compiled for one dialect, with the result conversions of its columns."""

    sql: str
    positional: bool
    conversions: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, converter)

    def params(self, digest: str) -> tuple[str] | dict[str, str]:
        return (digest,) if self.positional else {"digest": digest}

    def convert(self, raw: Row) -> Row:
        values = list(raw)
        for index, fn in self.conversions:
            value = values[index]
            if value is not None:
                values[index] = fn(value)
        return tuple(values)


_PREPARED: dict[tuple[str, str, bool], _Prepared] = {}


def _prepared(dialect: Dialect, lock: bool) -> _Prepared:
    key = (dialect.name, dialect.driver, lock)
    prepared = _PREPARED.get(key)
    if prepared is None:
        compiled = (_LOOKUP_SHARED if lock else _LOOKUP).compile(dialect=dialect)
        assert compiled.positiontup in (None, ["digest"]), compiled.positiontup
        prepared = _Prepared(
            sql=str(compiled),
            positional=dialect.positional,
            conversions=tuple(
                (index, fn)
                for index, column in enumerate(_COLUMNS)
                if (fn := column.type.dialect_impl(dialect).result_processor(dialect, None))
            ),
        )
        _PREPARED[key] = prepared
    return prepared


def _observed(conn: Connection) -> bool:
    """Whether anything watches this connection's statements (then they must see ours)."""
    if conn.engine.echo:
        return True
    dispatch = conn.dispatch
    return bool(dispatch.before_cursor_execute) or bool(dispatch.after_cursor_execute)


def _lookup(conn: Connection, digest: str, lock: bool) -> Row | None:
    """The key's row (in `_COLUMNS` order), or None."""
    if not _observed(conn):
        prepared = _prepared(conn.dialect, lock)
        if not conn.in_transaction():
            conn.begin()  # what Connection.execute's autobegin would do
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute(prepared.sql, prepared.params(digest))
                raw = cursor.fetchone()
            finally:
                cursor.close()
        except conn.dialect.loaded_dbapi.Error:
            pass  # the ordinary path below raises SQLAlchemy's error, invalidating if needed
        else:
            return None if raw is None else prepared.convert(raw)
    row = conn.execute(_LOOKUP_SHARED if lock else _LOOKUP, {"digest": digest}).one_or_none()
    return None if row is None else tuple(row)


@dataclass(frozen=True, slots=True)
class VerifiedKey:
    id: str
    organization_id: str
    role: str
    title: str
    email: str
    expiration_date: date
    last_used_at: datetime | None
    touch_due: bool


def is_expired(expiration_date: date, today: date) -> bool:
    """A key works through the whole of its expiration date, in UTC."""
    return today > expiration_date


def verify(session: Session | Connection, secret: str, *, lock: bool = False) -> VerifiedKey:
    if not keys.is_well_formed(secret):
        raise Unauthenticated("The API key is not valid.", code="api_key_invalid")
    if isinstance(session, Session):
        if session.autoflush:
            session.flush()  # as Session.execute would, before reading
        conn = session.connection()
    else:
        conn = session
    row = _lookup(conn, keys.digest(secret), lock)
    if row is None:
        raise Unauthenticated("The API key is not valid.", code="api_key_invalid")
    key_id, organization_id, role, title, email, expiration_date, last_used_at = row
    now = clock.now()
    if is_expired(expiration_date, now.date()):
        raise Unauthenticated(
            f"The API key expired at the end of {expiration_date.isoformat()} (UTC).",
            code="api_key_expired",
        )
    due = last_used_at is None or now - last_used_at >= LAST_USED_GRANULARITY
    return VerifiedKey(
        id=key_id,
        organization_id=organization_id,
        role=role,
        title=title,
        email=email,
        expiration_date=expiration_date,
        last_used_at=last_used_at,
        touch_due=due,
    )


def touch(conn: Session | Connection, key_id: str) -> None:
    """Record use: at most one write a minute per key, and never a wait for a lock.

    The condition makes concurrent workers write at most once a minute. When another
    transaction holds what the write needs (a concurrent touch or deletion of the key on
    PostgreSQL: SKIP LOCKED; any other writer on SQLite, when this is a transaction of its
    own: no busy wait), this stamp is skipped and a later verification records the use.
    """
    now = clock.now()
    row = ApiKey.__table__.alias("due")
    due = (
        select(row.c.id)
        .where(
            row.c.id == key_id,
            or_(row.c.last_used_at.is_(None), row.c.last_used_at <= now - LAST_USED_GRANULARITY),
        )
        .with_for_update(skip_locked=True)  # nothing on SQLite
        .scalar_subquery()
    )
    statement = (
        update(ApiKey)
        .where(ApiKey.id == due)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    sqlite_side_transaction = (
        isinstance(conn, Session)
        and not conn.in_transaction()
        and conn.get_bind().dialect.name == "sqlite"
    )
    if sqlite_side_transaction:
        assert isinstance(conn, Session)
        _touch_without_waiting(conn, statement)
    else:
        conn.execute(statement)


def _touch_without_waiting(session: Session, statement: Any) -> None:
    """SQLite: one UPDATE in a deferred transaction that gives up at once if locked."""
    connection = session.connection(execution_options={"keyhouse_write": False})
    driver = connection.connection.driver_connection
    assert driver is not None
    (timeout,) = driver.execute("PRAGMA busy_timeout").fetchone()
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        connection.execute(statement)
    except OperationalError as exc:
        if "locked" not in str(exc.orig) and "busy" not in str(exc.orig):
            raise
    finally:
        driver.execute(f"PRAGMA busy_timeout = {int(timeout)}")
