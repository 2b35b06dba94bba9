"""The expiry sweep: `api_key.expiring` and `api_key.expired`, each exactly once.

Once per key, per kind, per expiration date: the event is emitted only by the transaction
that inserted its `api_key_notifications` row (INSERT … ON CONFLICT DO NOTHING, one row at
a time, checking the row count), and in that same transaction. Any number of sweeps can run
at once, in threads, processes or machines: on PostgreSQL a second insert of the same key
waits for the first transaction and then does nothing; on SQLite write transactions run one
at a time. A key given a new expiration date can be warned about again.

A key is *expiring* from `expiry_warning_days` days before its expiration date (the
organization's setting) through that date, and *expired* from the next day (UTC), when it
is refused: exactly the key statuses of `api_keys/status.py`, whose conditions are used
here, so a key's status turns `expiring` on the day the event is sent. A key that
expired while no sweep ran gets `api_key.expired` only.

The sweep writes no audit events. It also prunes the delivery log (delivered or failed
deliveries older than the retention period).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, String, and_, delete, exists, func, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyhouse.api_keys import status as key_status
from keyhouse.core.db import Database
from keyhouse.models import ApiKey, KeyNotification, Organization, WebhookDelivery
from keyhouse.webhooks.events import emit, key_data

BATCH = 200
DELIVERY_RETENTION_DAYS = 30


@dataclass
class SweepReport:
    expiring: int = 0  # keys that entered their warning window (events emitted)
    expired: int = 0  # keys that expired (events emitted)
    queued: int = 0  # webhook deliveries those events queued
    pruned: int = 0  # old delivered/failed deliveries removed from the log

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _marker(session: Session) -> ColumnElement[str]:
    """The key's expiration date as the notification's marker text (YYYY-MM-DD)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(ApiKey.expiration_date, "YYYY-MM-DD")
    return sql_cast(ApiKey.expiration_date, String)  # SQLite stores dates as ISO text


def _not_notified(session: Session, kind: str) -> ColumnElement[bool]:
    return ~exists().where(
        KeyNotification.key_id == ApiKey.id,
        KeyNotification.kind == kind,
        KeyNotification.marker == _marker(session),
    )


def _insert_once(session: Session, key_id: str, kind: str, marker: str, now: datetime) -> bool:
    """True when this transaction inserted the row (and so owns the event)."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(KeyNotification.__table__)
        .values(key_id=key_id, kind=kind, marker=marker, sent_at=now)
        .on_conflict_do_nothing(index_elements=["key_id", "kind", "marker"])
        # Drivers report an INSERT's row count only when asked (psycopg says -1 otherwise).
        .execution_options(preserve_rowcount=True)
    )
    try:
        # A savepoint: a key deleted since it was read (a foreign-key violation on
        # PostgreSQL) is skipped without undoing the rest of the batch.
        with session.begin_nested():
            return cast(CursorResult[Any], session.execute(stmt)).rowcount == 1
    except IntegrityError:
        return False


def _run(
    db: Database,
    kind: str,
    now: datetime,
    condition: Any,
    data: Callable[[ApiKey], dict[str, Any]],
    report: SweepReport,
) -> int:
    """Emit `api_key.<kind>` for every key meeting `condition` not yet notified."""
    emitted = 0
    while True:
        inserted = queued = 0
        with db.transaction(write=True) as session:
            keys = (
                session.execute(
                    select(ApiKey)
                    .where(condition, _not_notified(session, kind))
                    # One order everywhere: concurrent sweeps never deadlock.
                    .order_by(ApiKey.id)
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            for key in keys:
                marker = key.expiration_date.isoformat()
                if _insert_once(session, key.id, kind, marker, now):
                    inserted += 1
                    event = f"api_key.{kind}"
                    queued += emit(session, key.organization_id, event, data(key))
        # Counted once committed.
        emitted += inserted
        report.queued += queued
        # A full batch that another sweep had already taken: the next sweep goes on.
        if len(keys) < BATCH or inserted == 0:
            return emitted


def _expired_data(key: ApiKey) -> dict[str, Any]:
    refused_from = key.expiration_date + timedelta(days=1)
    return {"apiKey": key_data(key), "expiredAt": f"{refused_from.isoformat()}T00:00:00Z"}


def _expiring_data(today: date, days: int) -> Callable[[ApiKey], dict[str, Any]]:
    def data(key: ApiKey) -> dict[str, Any]:
        return {
            "apiKey": key_data(key),
            "daysLeft": (key.expiration_date - today).days,
            "warningDays": days,
        }

    return data


def sweep(
    db: Database, *, now: datetime, retention_days: int = DELIVERY_RETENTION_DAYS
) -> SweepReport:
    """Emit the expiry events due at `now`; prune the delivery log."""
    report = SweepReport()
    today = now.date()
    expired = key_status.conditions(ApiKey.expiration_date, today, 0)["expired"]
    report.expired = _run(db, "expired", now, expired, _expired_data, report)
    with db.transaction(write=False) as session:
        windows = list(
            session.scalars(
                select(Organization.expiry_warning_days)
                .distinct()
                .order_by(Organization.expiry_warning_days)
            )
        )
    for days in windows:
        # The status `expiring`, by its one definition.
        in_window = and_(
            key_status.conditions(ApiKey.expiration_date, today, days)["expiring"],
            ApiKey.organization_id.in_(
                select(Organization.id).where(Organization.expiry_warning_days == days)
            ),
        )
        data = _expiring_data(today, days)
        report.expiring += _run(db, "expiring", now, in_window, data, report)
    cutoff = now - timedelta(days=retention_days)
    with db.transaction(write=True) as session:
        pruned = session.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(("delivered", "failed")),
                WebhookDelivery.created_at < cutoff,
            )
        )
        report.pruned = cast(CursorResult[Any], pruned).rowcount
    return report
