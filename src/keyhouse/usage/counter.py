"""Per-key, per-UTC-day request counts, kept in memory and flushed by addition.

Counting is on the verification path, so it never touches the database: a dict update under
a lock. A flush swaps the dict out and adds its counts to `api_key_usage` with one upsert
(`INSERT ... ON CONFLICT (key_id, day) DO UPDATE SET succeeded = succeeded + excluded...`).
Because the upsert adds, every worker (process) flushes its own counts and the totals
stay right however many workers there are.
"""

from __future__ import annotations

import logging
import threading
from datetime import date
from typing import Any

from sqlalchemy import Insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.models import ApiKey, KeyUsage

logger = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 5.0
_CHUNK = 500  # ids per IN (...) list
_ATTEMPTS = 3  # a key deleted between the check and the upsert: look again

Counts = dict[tuple[str, date], list[int]]  # (key id, day) -> [succeeded, refused]
Tally = dict[tuple[str, date], int]


class UsageCounter:
    """Thread-safe counts of one process, waiting to be flushed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one flush at a time, so "flush, then read" holds
        self._ok: Tally = {}
        self._refused: Tally = {}

    def succeeded(self, key_id: str) -> None:
        slot = (key_id, clock.today())
        with self._lock:
            self._ok[slot] = self._ok.get(slot, 0) + 1

    def refused(self, key_id: str) -> None:
        slot = (key_id, clock.today())
        with self._lock:
            self._refused[slot] = self._refused.get(slot, 0) + 1

    def pending(self) -> Counts:
        """The counts not flushed yet."""
        with self._lock:
            return _merge(self._ok, self._refused)

    def _take(self) -> Counts:
        with self._lock:
            ok, refused = self._ok, self._refused
            self._ok, self._refused = {}, {}
        return _merge(ok, refused)

    def _give_back(self, counts: Counts) -> None:
        with self._lock:
            for slot, (ok, refused) in counts.items():
                if ok:
                    self._ok[slot] = self._ok.get(slot, 0) + ok
                if refused:
                    self._refused[slot] = self._refused.get(slot, 0) + refused

    def flush(self, db: Database) -> int:
        """Add the pending counts to the database; the number of (key, day) rows written.

        Counts of keys deleted meanwhile are dropped (their usage rows went with them). If
        the database cannot be written, the counts are kept for the next flush.
        """
        with self._flush_lock:
            taken = self._take()
            if not taken:
                return 0
            try:
                return _write(db, taken)
            except BaseException:
                self._give_back(taken)
                raise


def _merge(ok: Tally, refused: Tally) -> Counts:
    merged: Counts = {slot: [n, 0] for slot, n in ok.items()}
    for slot, n in refused.items():
        merged.setdefault(slot, [0, 0])[1] = n
    return merged


def _upsert(session: Session) -> Insert:
    dialect = session.get_bind().dialect.name
    stmt = pg_insert(KeyUsage) if dialect == "postgresql" else sqlite_insert(KeyUsage)
    return stmt.on_conflict_do_update(
        index_elements=[KeyUsage.key_id, KeyUsage.day],
        set_={
            "succeeded": KeyUsage.succeeded + stmt.excluded.succeeded,
            "refused": KeyUsage.refused + stmt.excluded.refused,
        },
    )


def _write(db: Database, counts: Counts) -> int:
    wanted = sorted({key_id for key_id, _ in counts})
    for attempt in range(_ATTEMPTS):
        try:
            with db.transaction(write=True) as session:
                alive: set[str] = set()
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    alive.update(session.scalars(select(ApiKey.id).where(ApiKey.id.in_(chunk))))
                # In key order, so two workers flushing at once lock rows in the same order.
                rows: list[dict[str, Any]] = [
                    {"key_id": key_id, "day": day, "succeeded": ok, "refused": refused}
                    for (key_id, day), (ok, refused) in sorted(counts.items())
                    if key_id in alive
                ]
                if rows:
                    session.execute(_upsert(session), rows)
            return len(rows)
        except IntegrityError:
            if attempt == _ATTEMPTS - 1:
                raise
    return 0  # pragma: no cover - the loop returns or raises


class Flusher:
    """A daemon thread flushing `counter` into `db` every `interval` seconds."""

    def __init__(
        self, counter: UsageCounter, db: Database, interval: float = FLUSH_INTERVAL_SECONDS
    ) -> None:
        self.counter = counter
        self.db = db
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="keyhouse-usage", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.counter.flush(self.db)
        except Exception:
            logger.exception("could not flush API key usage counts (kept for the next flush)")

    def stop(self) -> None:
        """Stop the thread, then flush what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._flush_logged()
