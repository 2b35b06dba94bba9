"""The hot path: turn an `Api-Key` secret into a principal.

Shape and checksum first (no I/O), then one lookup by the unique digest index, selecting
only the columns needed; no ORM objects. `last_used_at` is written at most once a minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.orm import Session

from keyhouse.auth import keys
from keyhouse.core import clock
from keyhouse.core.errors import Unauthenticated
from keyhouse.models import ApiKey

LAST_USED_GRANULARITY = timedelta(minutes=1)

# Built once: the statement is cached and only the digest changes per call.
_LOOKUP = select(
    ApiKey.id,
    ApiKey.organization_id,
    ApiKey.role,
    ApiKey.title,
    ApiKey.email,
    ApiKey.expiration_date,
    ApiKey.last_used_at,
).where(ApiKey.secret_digest == bindparam("digest"))
# Writes by a key hold a share lock on its row until commit, so a concurrent deletion
# (which locks the row for update) either waits for the write and then transfers what it
# created, or goes first and the write finds no key. Nothing is orphaned in between.
_LOOKUP_SHARED = _LOOKUP.with_for_update(read=True)


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
    statement = _LOOKUP_SHARED if lock else _LOOKUP
    row = session.execute(statement, {"digest": keys.digest(secret)}).one_or_none()
    if row is None:
        raise Unauthenticated("The API key is not valid.", code="api_key_invalid")
    now = clock.now()
    if is_expired(row.expiration_date, now.date()):
        raise Unauthenticated(
            f"The API key expired at the end of {row.expiration_date.isoformat()} (UTC).",
            code="api_key_expired",
        )
    due = row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY
    return VerifiedKey(
        id=row.id,
        organization_id=row.organization_id,
        role=row.role,
        title=row.title,
        email=row.email,
        expiration_date=row.expiration_date,
        last_used_at=row.last_used_at,
        touch_due=due,
    )


def touch(conn: Session | Connection, key_id: str) -> None:
    """Record use; the condition makes concurrent workers write at most once a minute."""
    now = clock.now()
    conn.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - LAST_USED_GRANULARITY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
