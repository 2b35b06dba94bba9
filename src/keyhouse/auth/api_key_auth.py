"""The hot path: turn an `Api-Key` secret into a principal.

Shape and checksum first (no I/O), then one lookup by the unique digest index, selecting
only the columns needed; no ORM objects. `last_used_at` is written at most once a minute.

The lookup is the one statement every API call makes, so it is a `core.prepared.Prepared`
statement: compiled once per dialect and run on the connection's own DBAPI cursor, skipping
SQLAlchemy's per-call execution machinery (which costs about twice the query itself), with
the ordinary path whenever something observes statements or the driver raises.
docs/performance.md has the measurements.

Only when that lookup finds nothing (the miss path) is the digest looked for among the
secrets retired by a roll: one still inside its overlap window authenticates as its key,
one past it is refused with `api_key_rolled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from keyhouse.auth import keys
from keyhouse.core import clock
from keyhouse.core.errors import Unauthenticated
from keyhouse.core.prepared import Prepared, Row
from keyhouse.models import ApiKey, RetiredSecret

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

# The miss path: a secret retired by a roll, with its key's columns and its deadline.
_RETIRED_T = RetiredSecret.__table__
_RETIRED = (
    select(*_COLUMNS, _RETIRED_T.c.valid_until)
    .select_from(_RETIRED_T.join(ApiKey.__table__, _RETIRED_T.c.key_id == _KEYS.id))
    .where(_RETIRED_T.c.secret_digest == bindparam("digest"))
)
_RETIRED_SHARED = _RETIRED.with_for_update(read=True, of=ApiKey.__table__)

_PREPARED = {False: Prepared(_LOOKUP), True: Prepared(_LOOKUP_SHARED)}


def _lookup(conn: Connection, digest: str, lock: bool) -> Row | None:
    """The key's row (in `_COLUMNS` order), or None."""
    return _PREPARED[lock].first(conn, {"digest": digest})


def _retired(conn: Connection, digest: str, lock: bool) -> tuple[Row, datetime] | None:
    """The key row of a secret retired by a roll, and until when that secret works."""
    found = conn.execute(_RETIRED_SHARED if lock else _RETIRED, {"digest": digest}).one_or_none()
    if found is None:
        return None
    *row, valid_until = tuple(found)
    return tuple(row), valid_until


class KeyRefused(Unauthenticated):
    """A known key refused (expired, or a rolled secret past its overlap): its usage counts
    the refusal."""

    def __init__(self, detail: str, *, code: str, key_id: str) -> None:
        super().__init__(detail, code=code)
        self.key_id = key_id


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
    digest = keys.digest(secret)
    row = _lookup(conn, digest, lock)
    now = clock.now()
    if row is None:
        row = _verify_retired(conn, digest, lock, now)
    key_id, organization_id, role, title, email, expiration_date, last_used_at = row
    if is_expired(expiration_date, now.date()):
        raise KeyRefused(
            f"The API key expired at the end of {expiration_date.isoformat()} (UTC).",
            code="api_key_expired",
            key_id=key_id,
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


def _verify_retired(conn: Connection, digest: str, lock: bool, now: datetime) -> Row:
    """The key row for a secret retired by a roll while its overlap lasts; else refused."""
    found = _retired(conn, digest, lock)
    if found is None:
        raise Unauthenticated("The API key is not valid.", code="api_key_invalid")
    row, valid_until = found
    if now >= valid_until:
        raise KeyRefused(
            "This secret was replaced when the API key was rolled; use the new secret.",
            code="api_key_rolled",
            key_id=row[0],
        )
    return row


def touch(conn: Session | Connection, key_id: str, address: str | None = None) -> None:
    """Record use (when, and from which client `address`): at most one write a minute per
    key, and never a wait for a lock.

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
        .values(last_used_at=now, last_used_address=address[:64] if address else None)
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
