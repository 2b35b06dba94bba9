"""Goal 5: last-used bookkeeping.

10,000 verifications of one key through the API's own dependency functions (authenticate,
then current_principal, which records use when due), each in a fresh read session as a
request has, on a clock that advances 30 ms a call: five simulated minutes. The UPDATE
statements are counted. Then the same verifications while another transaction holds the
write lock (SQLite) or the key's row lock (PostgreSQL) that a last-used write takes, to
show verifications never wait for it.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, text
from starlette.requests import Request

from bench.data import NOW, World, _sqlite_path, add_key
from bench.timing import Samples
from keyhouse.auth import dependencies
from keyhouse.core import clock
from keyhouse.core.db import Database

STEP = timedelta(milliseconds=30)


@dataclass
class LastUsed:
    verifications: int
    simulated_seconds: float
    updates: int  # UPDATE statements on api_keys
    rows_written: int
    free: Samples  # per-verification time, nothing else writing
    blocked: Samples  # the same while another transaction holds the lock the write needs
    blocked_updates: int  # UPDATEs attempted while blocked (each gave up at once)


def _request(db: Database, secret: str) -> Request:
    """A GET request carrying the key, as the dependency functions receive it."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"api-key", secret.encode())],
        "query_string": b"",
        "client": ("127.0.0.1", 50000),
        "app": SimpleNamespace(state=SimpleNamespace(db=db)),
        "state": {"client_address": "127.0.0.1"},
    }
    return Request(scope)


def _verify_once(db: Database, request: Any, org_id: str) -> None:
    with db.session(write=False) as session:
        dependencies.current_principal(org_id, request, session)
        session.commit()


def measure(db: Database, world: World, *, verifications: int, seed: int = 5) -> LastUsed:
    key_id, secret = add_key(db, world, random.Random(seed), f"last used {time.time_ns()}")
    request = _request(db, secret)
    now = [NOW]

    def fake_clock() -> datetime:
        return now[0]

    counts = {"updates": 0, "rows": 0}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            counts["updates"] += 1

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEYS"):
            counts["rows"] += max(cursor.rowcount, 0)

    clock.set_clock(fake_clock)
    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        free = []
        for _ in range(verifications):
            started = time.perf_counter()
            _verify_once(db, request, world.org_id)
            free.append(time.perf_counter() - started)
            now[0] += STEP
        result = LastUsed(
            verifications,
            verifications * STEP.total_seconds(),
            counts["updates"],
            counts["rows"],
            Samples(free),
            Samples([]),
            0,
        )
        # A minute later the key is due again; hold what the write needs meanwhile.
        now[0] += timedelta(minutes=2)
        counts["updates"] = 0
        blocked = _while_locked(
            db, key_id, lambda: _verify_once(db, request, world.org_id), verifications // 10
        )
        result.blocked = blocked
        result.blocked_updates = counts["updates"]
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)
        clock.set_clock(frozen_now)
    return result


def frozen_now() -> datetime:
    """The clock the rest of the benchmark runs on."""
    return NOW


def _while_locked(db: Database, key_id: str, verify: Any, calls: int) -> Samples:
    """Run `verify` `calls` times while another connection holds the lock a last-used
    write needs, in an uncommitted transaction that has itself just written last_used_at."""
    ready, done = threading.Event(), threading.Event()

    def hold() -> None:
        if db.is_sqlite:
            conn = sqlite3.connect(_sqlite_path(db.url), isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE api_keys SET last_used_at = last_used_at WHERE id = ?", (key_id,))
            ready.set()
            done.wait(120)
            conn.execute("ROLLBACK")
            conn.close()
        else:
            with db.engine.connect() as conn:
                conn.execute(
                    text("UPDATE api_keys SET last_used_at = last_used_at WHERE id = :id"),
                    {"id": key_id},
                )
                ready.set()
                done.wait(120)
                conn.rollback()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    ready.wait(30)
    samples = []
    try:
        for _ in range(calls):
            started = time.perf_counter()
            verify()
            samples.append(time.perf_counter() - started)
    finally:
        done.set()
        holder.join(30)
    return Samples(samples)
