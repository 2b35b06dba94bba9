"""Sending queued webhook deliveries: claim, POST, record; retries with backoff.

`deliver_due` is safe to run in any number of threads, processes and machines at once:

1. **Claim**, in a short write transaction: the due pending rows (on PostgreSQL with
   `FOR UPDATE SKIP LOCKED`, so two workers never pick the same row; on SQLite the write
   transaction's `BEGIN IMMEDIATE` serializes claims), whose `next_attempt_at` is pushed
   forward to a *lease*. Another worker sees them as not due until the lease runs out.
2. **Send**, outside any transaction: signed POSTs with httpx, no redirects followed.
3. **Record**, one short transaction per delivery, only if the row still carries our lease
   (a worker that stalled past its lease and was overtaken records nothing).

A worker that dies between 1 and 3 leaves the row pending; it is sent again when the lease
runs out. Delivery is therefore *at least once*: receivers deduplicate on the event `id`
or the `Keyhouse-Delivery` header.
"""

from __future__ import annotations

import logging
import math
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from keyhouse import __version__
from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.models import Webhook, WebhookDelivery
from keyhouse.webhooks.events import TEST_EVENT
from keyhouse.webhooks.signing import signature_header
from keyhouse.webhooks.urls import is_loopback_host

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30.0
MAX_DELAY_SECONDS = 3600.0
JITTER = 0.2  # each delay is drawn within ±20 % of its nominal value
DEFAULT_BATCH = 20
DEFAULT_TIMEOUT_SECONDS = 5.0
PARALLEL_SENDS = 4
MAX_ERROR_LENGTH = 500
USER_AGENT = f"Keyhouse-Webhooks/{__version__}"

_rng = random.SystemRandom()


@dataclass(frozen=True)
class _Claim:
    id: str
    url: str
    secret: str
    body: str
    event_type: str
    attempts: int
    lease: datetime


@dataclass(frozen=True)
class _Result:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class DeliveryReport:
    """What one `deliver_due` call did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    # Not sent: queued for a webhook that was paused since (marked failed).
    paused: int = 0
    # Sent, but the outcome was not recorded (overtaken by another worker after the lease
    # ran out, or the database failed): the row is sent again when its lease runs out.
    unrecorded: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.retrying += other.retrying
        self.failed += other.failed
        self.paused += other.paused
        self.unrecorded += other.unrecorded

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, 4 min …
    (each ±20 %), never more than an hour."""
    nominal = min(BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0), MAX_DELAY_SECONDS)
    drawn = nominal * _rng.uniform(1 - JITTER, 1 + JITTER)
    return timedelta(seconds=min(drawn, MAX_DELAY_SECONDS))


def _lease_length(limit: int, timeout: float) -> timedelta:
    # Long enough for the whole batch to be sent, timeouts included, with room to spare.
    rounds = math.ceil(limit / PARALLEL_SENDS)
    return timedelta(seconds=rounds * (timeout + 1) + 60)


def _claim(
    db: Database, now: datetime, limit: int, lease_length: timedelta
) -> tuple[list[_Claim], int]:
    """The claimed deliveries, and how many due ones were dropped (paused webhook)."""
    # Microseconds of noise make each claim's lease its own: recording checks it.
    lease = now + lease_length + timedelta(microseconds=_rng.randrange(1_000_000))
    with db.transaction(write=True) as session:
        stmt = (
            select(
                WebhookDelivery.id,
                WebhookDelivery.body,
                WebhookDelivery.event_type,
                WebhookDelivery.attempts,
                Webhook.url,
                Webhook.secret,
                Webhook.active,
            )
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)
        rows = session.execute(stmt).all()
        # A paused webhook gets nothing (except the test events someone asked for).
        paused = [r.id for r in rows if not r.active and r.event_type != TEST_EVENT]
        claims = [
            _Claim(r.id, r.url, r.secret, r.body, r.event_type, r.attempts, lease)
            for r in rows
            if r.active or r.event_type == TEST_EVENT
        ]
        if paused:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(paused))
                .values(
                    status="failed",
                    next_attempt_at=None,
                    last_error="not sent: the webhook was paused",
                )
            )
        if claims:
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_([c.id for c in claims]))
                .values(next_attempt_at=lease)
            )
    return claims, len(paused)


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"could not connect: {exc}"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}"
    return f"could not send: {type(exc).__name__}"


def _scrub(text: str, claim: _Claim) -> str:
    # Error texts come from libraries; keep the secret (and the URL, whose query may hold
    # the receiver's own token) out of the log whatever they say.
    for secret in (claim.secret, claim.url):
        if secret:
            text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class _Clients:
    """One httpx client for loopback targets (never proxied) and one for the rest (which
    honours the HTTPS_PROXY / NO_PROXY environment)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._local: httpx.Client | None = None
        self._remote: httpx.Client | None = None

    def _make(self, trust_env: bool) -> httpx.Client:
        return httpx.Client(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=trust_env,
            headers={"User-Agent": USER_AGENT},
        )

    def for_url(self, url: str) -> httpx.Client:
        if is_loopback_host(urlsplit(url).hostname or ""):
            self._local = self._local or self._make(trust_env=False)
            return self._local
        self._remote = self._remote or self._make(trust_env=True)
        return self._remote

    def close(self) -> None:
        for client in (self._local, self._remote):
            if client is not None:
                client.close()


def _send(clients: _Clients, claim: _Claim) -> _Result:
    body = claim.body.encode()
    headers = {
        "Content-Type": "application/json",
        "Keyhouse-Event": claim.event_type,
        "Keyhouse-Delivery": claim.id,
        # Signed when sent, so the timestamp is as fresh as possible for the receiver.
        "Keyhouse-Signature": signature_header(
            claim.secret, int(clock.now().timestamp()), claim.body
        ),
    }
    try:
        client = clients.for_url(claim.url)
        # Streamed and not read: whatever the receiver answers, only its status matters.
        with client.stream("POST", claim.url, content=body, headers=headers) as response:
            code = response.status_code
    except Exception as exc:
        return _Result(None, _scrub(_describe(exc, clients.timeout), claim))
    if 200 <= code < 300:
        return _Result(code, None)
    if 300 <= code < 400:
        return _Result(code, f"HTTP {code}: redirects are not followed")
    return _Result(code, f"HTTP {code}")


def _record(session: Session, claim: _Claim, result: _Result, now: datetime) -> str | None:
    """Store the outcome if the row still carries our lease; the new status, or None."""
    attempts = claim.attempts + 1
    values: dict[str, object] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": result.status_code,
        "last_error": result.error,
    }
    if result.ok:
        status = "delivered"
        values.update(status=status, delivered_at=now, next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS:
        status = "failed"
        values.update(status=status, next_attempt_at=None)
    else:
        status = "pending"
        values.update(next_attempt_at=now + retry_delay(attempts))
    done = cast(
        CursorResult[Any],
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claim.id,
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at == claim.lease,
            )
            .values(**values)
        ),
    )
    return status if done.rowcount == 1 else None


def deliver_due(
    db: Database,
    *,
    now: datetime,
    limit: int = DEFAULT_BATCH,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> DeliveryReport:
    """Claim up to `limit` deliveries due at `now`, send them, record the outcomes.

    2xx: delivered. Anything else (another status, a timeout, a refused connection): one
    more attempt counted, the next one after `retry_delay`; failed after MAX_ATTEMPTS.
    """
    report = DeliveryReport()
    claims, report.paused = _claim(db, now, limit, _lease_length(limit, timeout))
    report.claimed = len(claims)
    if not claims:
        return report
    clients = _Clients(timeout)

    def one(claim: _Claim) -> str | None:
        result = _send(clients, claim)
        try:
            with db.transaction(write=True) as session:
                return _record(session, claim, result, now)
        except Exception:
            logger.exception("could not record the outcome of webhook delivery %s", claim.id)
            return None

    try:
        with ThreadPoolExecutor(max_workers=min(PARALLEL_SENDS, len(claims))) as pool:
            outcomes = list(pool.map(one, claims))
    finally:
        clients.close()
    for outcome in outcomes:
        if outcome == "delivered":
            report.delivered += 1
        elif outcome == "failed":
            report.failed += 1
        elif outcome == "pending":
            report.retrying += 1
        else:
            report.unrecorded += 1
    return report


def deliver_all_due(
    db: Database,
    *,
    now: datetime,
    limit: int = DEFAULT_BATCH,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> DeliveryReport:
    """`deliver_due` in batches until nothing more is due at `now` (bounded)."""
    total = DeliveryReport()
    for _ in range(1000):
        report = deliver_due(db, now=now, limit=limit, timeout=timeout)
        total.add(report)
        if report.claimed + report.paused < limit:
            break
    return total
