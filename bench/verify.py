"""Goal 1: verification in-process, side by side with djangorestframework-api-key.

Every variant does the same work for a valid key: check shape and checksum, SHA-256, look
the digest up by its unique index, check expiry. Secrets are drawn from many organizations'
keys in a fixed pseudo-random order, so the lookups are spread over the whole index.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.data import World, _sqlite_path
from bench.drf import DrfKeys
from bench.timing import Samples, per_call
from keyhouse.auth import api_key_auth, keys
from keyhouse.auth.api_key_auth import _LOOKUP
from keyhouse.core.db import Database


@dataclass
class VerifyResults:
    keys_stored: int
    held_connection: Samples  # verify(conn, secret): the function the API calls, warm
    request_session: Samples  # a new Session per call, as each request has (plus commit)
    core_execute: Samples  # the same lookup through Connection.execute (SQLAlchemy Core)
    raw_driver: Samples | None  # sqlite3 on a held connection: the floor
    drf: Samples | None
    drf_keys: int = 0
    drf_version: str = ""


def _secrets(world: World, seed: int = 11) -> list[str]:
    pool = world.secrets[:1000] + world.other_secrets[:1000]
    random.Random(seed).shuffle(pool)
    return pool


def measure(
    db: Database, world: World, *, calls: int, drf_keys: int, workdir: Path
) -> VerifyResults:
    secrets = _secrets(world)
    with db.engine.connect() as conn:
        held = per_call(lambda s: api_key_auth.verify(conn, s), secrets, calls, warmup=2000)

        def core(secret: str) -> Any:
            # What verify did before: parse, digest, Connection.execute, expiry check.
            if not keys.is_well_formed(secret):
                raise AssertionError(secret)
            row = conn.execute(_LOOKUP, {"digest": keys.digest(secret)}).one()
            return api_key_auth.is_expired(row.expiration_date, row.expiration_date)

        core_samples = per_call(core, secrets, calls, warmup=2000)
        conn.rollback()

    def request(secret: str) -> None:
        with db.session(write=False) as session:
            api_key_auth.verify(session, secret)
            session.commit()

    request_samples = per_call(request, secrets, max(2000, calls // 4), warmup=500)

    raw_samples = None
    if db.is_sqlite:
        raw = sqlite3.connect(_sqlite_path(db.url))
        sql = (
            "SELECT id, organization_id, role, title, email, expiration_date, last_used_at "
            "FROM api_keys WHERE secret_digest = ?"
        )
        today = "2000-01-01"

        def floor(secret: str) -> Any:
            if not keys.is_well_formed(secret):
                raise AssertionError(secret)
            row = raw.execute(sql, (keys.digest(secret),)).fetchone()
            return row[5] >= today

        raw_samples = per_call(floor, secrets, calls, warmup=2000)
        raw.close()
    else:
        pooled = db.engine.raw_connection()
        driver: Any = pooled.driver_connection
        sql = (
            "SELECT id, organization_id, role, title, email, expiration_date, last_used_at "
            "FROM api_keys WHERE secret_digest = %s"
        )

        def floor_pg(secret: str) -> Any:
            if not keys.is_well_formed(secret):
                raise AssertionError(secret)
            row = driver.execute(sql, (keys.digest(secret),)).fetchone()
            return row[5] is not None

        raw_samples = per_call(floor_pg, secrets, calls, warmup=2000)
        driver.rollback()
        pooled.close()

    drf = drf_samples = None
    if drf_keys:
        drf = DrfKeys(drf_keys, workdir)
        drf_secrets = drf.keys[:]
        random.Random(3).shuffle(drf_secrets)
        drf_samples = per_call(drf.is_valid, drf_secrets, max(2000, calls // 4), warmup=500)
    return VerifyResults(
        keys_stored=world.key_count,
        held_connection=held,
        request_session=request_samples,
        core_execute=core_samples,
        raw_driver=raw_samples,
        drf=drf_samples,
        drf_keys=drf_keys,
        drf_version=drf.version if drf else "",
    )
