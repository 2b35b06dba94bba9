"""Delivery to a real HTTP receiver on 127.0.0.1: signatures, retries, backoff, failure,
leases and concurrent workers. `now` is driven explicitly; nothing sleeps."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.models import WebhookDelivery
from keyhouse.webhooks import delivery as delivery_module
from keyhouse.webhooks.delivery import MAX_ATTEMPTS, deliver_due
from keyhouse.webhooks.events import emit
from keyhouse.webhooks.signing import verify
from tests.factories import World
from tests.webhooks.conftest import create_webhook, hooks_url
from tests.webhooks.receiver import Received, Receiver


def _rows(db: Database) -> list[WebhookDelivery]:
    with db.transaction(write=False) as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def _one(db: Database) -> WebhookDelivery:
    (row,) = _rows(db)
    return row


def _signed_by(secret: str, request: Received) -> bool:
    header = request.headers["keyhouse-signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    return verify(secret, header, request.body, now=timestamp)


def _emit(world: World, event_type: str = "api_key.created", **data: Any) -> None:
    with world.db.transaction() as s:
        emit(s, world.org.id, event_type, data or {"apiKey": {"id": "k1"}})


def test_a_delivery_is_signed_and_logged(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    hook = create_webhook(admin, world, receiver.url)
    queued = admin.post(f"{hooks_url(world)}/{hook['id']}/test").json()
    report = deliver_due(world.db, now=clock.now())
    assert (report.claimed, report.delivered) == (1, 1)
    (request,) = receiver.requests
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["keyhouse-event"] == "webhook.test"
    assert request.headers["keyhouse-delivery"] == queued["id"]
    assert request.headers["user-agent"].startswith("Keyhouse-Webhooks/")
    # t= is the send time (the frozen clock here), v1= the HMAC of "t.body" with the secret.
    header = request.headers["keyhouse-signature"]
    assert header.startswith(f"t={int(frozen_clock.at.timestamp())},v1=")
    assert _signed_by(hook["secret"], request)
    assert not _signed_by("whsec_" + "x" * 32, request)
    assert not verify(hook["secret"], header, request.body + " ", now=int(clock.now().timestamp()))
    # Five minutes of tolerance, not more.
    t = int(frozen_clock.at.timestamp())
    assert verify(hook["secret"], header, request.body, now=t + 300)
    assert not verify(hook["secret"], header, request.body, now=t + 301)
    # The body is exactly the stored one: the event, with ids a receiver can deduplicate on.
    assert request.body == _one(world.db).body
    event = json.loads(request.body)
    assert event["id"] == queued["eventId"]
    assert event["type"] == "webhook.test"
    assert event["organizationId"] == world.org.id
    assert event["createdAt"] == "2030-06-15T12:00:00Z"
    assert event["data"]["webhook"] == {"id": hook["id"], "url": receiver.url}
    assert hook["secret"] not in request.body
    # The log.
    (logged,) = admin.get(f"{hooks_url(world)}/{hook['id']}/deliveries").json()["items"]
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 1
    assert logged["lastStatusCode"] == 200
    assert logged["lastError"] is None
    assert logged["deliveredAt"] == logged["lastAttemptAt"] == "2030-06-15T12:00:00Z"
    assert logged["nextAttemptAt"] is None
    assert admin.get(f"{hooks_url(world)}/{hook['id']}").json()["lastDelivery"] == {
        "status": "delivered",
        "at": "2030-06-15T12:00:00Z",
        "statusCode": 200,
    }
    # Nothing more is due.
    assert deliver_due(world.db, now=clock.now() + timedelta(days=1)).claimed == 0
    assert len(receiver.requests) == 1


def test_a_500_is_retried_with_backoff(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    hook = create_webhook(admin, world, receiver.url)
    _emit(world)
    receiver.answer(500)
    t0 = clock.now()
    first = deliver_due(world.db, now=t0)
    assert (first.claimed, first.retrying, first.delivered) == (1, 1, 0)
    row = _one(world.db)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_status_code == 500 and row.last_error == "HTTP 500"
    assert row.last_attempt_at == t0
    assert row.next_attempt_at is not None
    assert t0 + timedelta(seconds=24) <= row.next_attempt_at <= t0 + timedelta(seconds=36)
    # Not due yet: nothing is sent.
    assert deliver_due(world.db, now=t0 + timedelta(seconds=20)).claimed == 0
    assert len(receiver.requests) == 1
    second = deliver_due(world.db, now=row.next_attempt_at)
    assert second.delivered == 1
    row = _one(world.db)
    assert row.status == "delivered" and row.attempts == 2 and row.last_status_code == 200
    assert row.last_error is None and row.delivered_at is not None and row.next_attempt_at is None
    a, b = receiver.requests
    assert a.body == b.body
    assert a.headers["keyhouse-delivery"] == b.headers["keyhouse-delivery"] == row.id
    assert _signed_by(hook["secret"], a) and _signed_by(hook["secret"], b)


def test_failed_after_max_attempts_with_growing_delays(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    create_webhook(admin, world, receiver.url)
    _emit(world)
    receiver.answer(*([503] * MAX_ATTEMPTS), 200)
    now = clock.now()
    delays: list[float] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_due(world.db, now=now)
        assert report.claimed == 1, attempt
        row = _one(world.db)
        assert row.attempts == attempt and row.last_status_code == 503
        if attempt < MAX_ATTEMPTS:
            assert row.status == "pending"
            assert row.next_attempt_at is not None
            delays.append((row.next_attempt_at - now).total_seconds())
            now = row.next_attempt_at
    assert row.status == "failed" and row.next_attempt_at is None and row.delivered_at is None
    assert report.failed == 1
    # 30 s doubling, each within ±20 %, never above an hour.
    for n, delay in enumerate(delays):
        nominal = min(30 * 2**n, 3600)
        assert nominal * 0.8 <= delay <= min(nominal * 1.2, 3600), (n, delay)
    assert delays == sorted(delays)
    # Failed is final.
    assert deliver_due(world.db, now=now + timedelta(days=30)).claimed == 0
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_backoff_is_capped_at_an_hour() -> None:
    for attempts in range(1, 30):
        delay = delivery_module.retry_delay(attempts).total_seconds()
        nominal = min(30 * 2 ** (attempts - 1), 3600)
        assert nominal * 0.8 <= delay <= min(nominal * 1.2, 3600)
    assert delivery_module.retry_delay(12).total_seconds() <= 3600


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_receiver_is_retried(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    hook = create_webhook(admin, world, f"http://127.0.0.1:{_closed_port()}/hook?token=abc")
    _emit(world)
    report = deliver_due(world.db, now=clock.now())
    assert report.retrying == 1
    row = _one(world.db)
    assert row.status == "pending" and row.attempts == 1 and row.last_status_code is None
    assert row.last_error is not None and row.last_error.startswith("could not connect")
    assert hook["secret"] not in row.last_error and "token=abc" not in row.last_error
    assert len(row.last_error) <= 500


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/slow"
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()


def test_a_receiver_that_never_answers_times_out(
    frozen_clock: Any, admin: TestClient, world: World, silent_server: str
) -> None:
    create_webhook(admin, world, silent_server)
    _emit(world)
    report = deliver_due(world.db, now=clock.now(), timeout=0.3)
    assert report.retrying == 1
    row = _one(world.db)
    assert row.last_error is not None and row.last_error.startswith("timed out after 0.3 s")
    assert row.last_status_code is None and row.attempts == 1


def test_redirects_are_not_followed(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    create_webhook(admin, world, receiver.url)
    _emit(world)
    receiver.answer(302)
    report = deliver_due(world.db, now=clock.now())
    assert report.retrying == 1
    row = _one(world.db)
    assert row.last_status_code == 302
    assert row.last_error == "HTTP 302: redirects are not followed"
    assert len(receiver.requests) == 1


def test_other_2xx_count_as_delivered(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    create_webhook(admin, world, receiver.url)
    _emit(world)
    receiver.answer(204)
    assert deliver_due(world.db, now=clock.now()).delivered == 1
    assert _one(world.db).last_status_code == 204


def test_a_paused_webhook_gets_nothing_but_test_events(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    hook = create_webhook(admin, world, receiver.url)
    _emit(world)  # queued while active
    admin.patch(f"{hooks_url(world)}/{hook['id']}", json={"active": False})
    _emit(world)  # not even queued while paused
    admin.post(f"{hooks_url(world)}/{hook['id']}/test")
    report = deliver_due(world.db, now=clock.now())
    assert (report.claimed, report.paused, report.delivered) == (1, 1, 1)
    assert [r.headers["keyhouse-event"] for r in receiver.requests] == ["webhook.test"]
    by_type = {r.event_type: r for r in _rows(world.db)}
    assert set(by_type) == {"api_key.created", "webhook.test"}
    dropped = by_type["api_key.created"]
    assert dropped.status == "failed" and dropped.attempts == 0
    assert dropped.last_error == "not sent: the webhook was paused"


def test_a_deleted_webhook_drops_its_queue(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    hook = create_webhook(admin, world, receiver.url)
    _emit(world)
    admin.delete(f"{hooks_url(world)}/{hook['id']}")
    assert deliver_due(world.db, now=clock.now()).claimed == 0
    assert receiver.requests == []


def test_a_lapsed_lease_is_taken_over_and_the_late_result_ignored(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    """At least once: a worker that stalls past its lease is overtaken; its late outcome
    is not recorded over the newer one."""
    create_webhook(admin, world, receiver.url)
    _emit(world)
    t0 = clock.now()
    lease = timedelta(seconds=60)
    claims, _ = delivery_module._claim(world.db, t0, 10, lease)
    assert len(claims) == 1
    # Within the lease nobody else takes it.
    assert deliver_due(world.db, now=t0 + timedelta(seconds=30)).claimed == 0
    # After it, another worker does, and delivers.
    later = t0 + timedelta(seconds=62)
    assert deliver_due(world.db, now=later).delivered == 1
    # The stalled worker's outcome arrives late: ignored.
    stale = delivery_module._Result(500, "HTTP 500")
    with world.db.transaction() as s:
        assert delivery_module._record(s, claims[0], stale, t0) is None
    row = _one(world.db)
    assert row.status == "delivered" and row.attempts == 1 and row.last_status_code == 200


def test_concurrent_workers_send_each_delivery_once(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    for i in range(3):
        create_webhook(admin, world, f"{receiver.url}?n={i}")
    for n in range(12):
        _emit(world, "api_key.deleted", n=n)
    expected = 36
    now = clock.now()
    barrier = threading.Barrier(4)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            for _ in range(6):
                reports.append(deliver_due(world.db, now=now, limit=5))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [r.headers["keyhouse-delivery"] for r in receiver.requests]
    assert len(ids) == expected and len(set(ids)) == expected
    assert sum(r.delivered for r in reports) == expected
    assert all(r.status == "delivered" and r.attempts == 1 for r in _rows(world.db))


def test_error_texts_never_carry_the_secret_or_the_url() -> None:
    claim = delivery_module._Claim(
        id="d",
        url="https://hooks.example/x?token=t0k",
        secret="whsec_" + "s" * 32,
        body="{}",
        event_type="api_key.created",
        attempts=0,
        lease=datetime.now(),
    )
    text = delivery_module._scrub(f"boom {claim.secret} at {claim.url}\n" + "x" * 1000, claim)
    assert claim.secret not in text and "t0k" not in text
    assert len(text) == 500 and "\n" not in text
