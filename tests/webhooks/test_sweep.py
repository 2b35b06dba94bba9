"""The expiry sweep: `api_key.expiring` and `api_key.expired` exactly once per key and
expiration date, however many sweeps run at once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.models import ApiKey, AuditEvent, KeyNotification, WebhookDelivery
from keyhouse.webhooks.delivery import deliver_due
from keyhouse.webhooks.sweep import sweep
from tests.factories import World, make_key
from tests.webhooks.conftest import create_webhook
from tests.webhooks.receiver import Receiver

EXPIRY = ["api_key.expiring", "api_key.expired"]


def _events(db: Database) -> list[tuple[str, str]]:
    """(event type, key id) of every queued delivery, in a stable order."""
    with db.transaction(write=False) as s:
        rows = s.scalars(select(WebhookDelivery.body)).all()
    found = [(json.loads(b)["type"], json.loads(b)["data"]["apiKey"]["id"]) for b in rows]
    return sorted(found)


def _audit_count(db: Database) -> int:
    with db.transaction(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_expiring_and_expired_once_each(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    create_webhook(admin, world, receiver.url, events=EXPIRY)
    today_key, _ = make_key(world, title="Today", days=0)
    inside, _ = make_key(world, title="Inside", days=10)
    edge, _ = make_key(world, title="Edge", days=14)  # the window is inclusive
    outside, _ = make_key(world, title="Outside", days=15)
    far, _ = make_key(world, title="Far", days=200)
    audit_before = _audit_count(world.db)

    report = sweep(world.db, now=clock.now())
    assert (report.expiring, report.expired, report.queued) == (3, 0, 3)
    assert _events(world.db) == sorted([("api_key.expiring", k) for k in (today_key, inside, edge)])
    # Again, the same day: nothing new.
    assert sweep(world.db, now=clock.now()).as_dict() == {
        "expiring": 0,
        "expired": 0,
        "queued": 0,
        "pruned": 0,
    }
    # A day later: Outside enters the window, Today has expired (refused since 00:00Z).
    frozen_clock.set(frozen_clock.at + timedelta(days=1))
    report = sweep(world.db, now=clock.now())
    assert (report.expiring, report.expired) == (1, 1)
    assert sweep(world.db, now=clock.now()).queued == 0
    assert _events(world.db) == sorted(
        [("api_key.expiring", k) for k in (today_key, inside, edge, outside)]
        + [("api_key.expired", today_key)]
    )
    assert far not in {k for _, k in _events(world.db)}
    assert _audit_count(world.db) == audit_before  # the sweep audits nothing

    # What the receiver gets.
    deliver_due(world.db, now=clock.now())
    bodies = {
        (json.loads(r.body)["type"], json.loads(r.body)["data"]["apiKey"]["title"]): json.loads(
            r.body
        )
        for r in receiver.requests
    }
    assert len(receiver.requests) == 5
    expired = bodies[("api_key.expired", "Today")]
    assert expired["organizationId"] == world.org.id
    assert expired["data"]["expiredAt"] == f"{(clock.today()).isoformat()}T00:00:00Z"
    assert (
        expired["data"]["apiKey"]["expirationDate"]
        == (clock.today() - timedelta(days=1)).isoformat()
    )
    assert set(expired["data"]["apiKey"]) == {
        "id",
        "title",
        "role",
        "email",
        "expirationDate",
        "createdBy",
    }
    warned = bodies[("api_key.expiring", "Outside")]["data"]
    assert warned["daysLeft"] == 14 and warned["warningDays"] == 14
    assert {r.headers["keyhouse-event"] for r in receiver.requests} == set(EXPIRY)


def test_a_key_expired_while_no_sweep_ran_gets_expired_only(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    create_webhook(admin, world, "https://hooks.example/", events=EXPIRY)
    key, _ = make_key(world, days=3)
    frozen_clock.set(frozen_clock.at + timedelta(days=10))
    sweep(world.db, now=clock.now())
    assert _events(world.db) == [("api_key.expired", key)]


def test_events_only_reach_subscribed_webhooks_of_the_same_organization(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    create_webhook(admin, world, "https://a.example/", events=["api_key.expired"])
    create_webhook(admin, world, "https://b.example/", events=["api_key.created"])
    make_key(world, days=2)
    other_key, _ = make_key(world, org=world.other, days=2)
    report = sweep(world.db, now=clock.now())
    assert report.expiring == 2 and report.queued == 0  # nobody subscribed to expiring
    frozen_clock.set(frozen_clock.at + timedelta(days=3))
    report = sweep(world.db, now=clock.now())
    assert report.expired == 2 and report.queued == 1
    assert other_key not in {k for _, k in _events(world.db)}


def test_a_webhook_added_later_gets_no_past_events(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    make_key(world, days=5)
    assert sweep(world.db, now=clock.now()).expiring == 1  # recorded, sent to no one
    create_webhook(admin, world, "https://a.example/", events=EXPIRY)
    assert sweep(world.db, now=clock.now()).expiring == 0
    assert _events(world.db) == []


def test_a_new_expiration_date_is_warned_about_again(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    create_webhook(admin, world, "https://a.example/", events=EXPIRY)
    key, _ = make_key(world, days=5)
    sweep(world.db, now=clock.now())
    with world.db.transaction() as s:
        s.execute(
            update(ApiKey)
            .where(ApiKey.id == key)
            .values(expiration_date=clock.today() + timedelta(days=90))
        )
    assert sweep(world.db, now=clock.now()).expiring == 0  # no longer in the window
    frozen_clock.set(frozen_clock.at + timedelta(days=80))
    assert sweep(world.db, now=clock.now()).expiring == 1
    assert _events(world.db) == [("api_key.expiring", key), ("api_key.expiring", key)]
    with world.db.transaction(write=False) as s:
        markers = sorted(s.scalars(select(KeyNotification.marker)).all())
    assert markers == sorted(
        [
            (frozen_clock.at.date() - timedelta(days=75)).isoformat(),
            (frozen_clock.at.date() + timedelta(days=10)).isoformat(),
        ]
    )


def test_the_warning_window_follows_the_setting(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    create_webhook(admin, world, "https://a.example/", events=EXPIRY)
    key, _ = make_key(world, days=40)
    assert sweep(world.db, now=clock.now()).expiring == 0
    response = admin.patch(
        f"/api/v1/organizations/{world.org.id}/settings", json={"expiryWarningDays": 45}
    )
    assert response.status_code == 200
    report = sweep(world.db, now=clock.now())
    assert report.expiring == 1
    with world.db.transaction(write=False) as s:
        body = json.loads(s.scalars(select(WebhookDelivery.body)).one())
    assert body["data"]["warningDays"] == 45 and body["data"]["daysLeft"] == 40


def test_old_finished_deliveries_are_pruned(
    frozen_clock: Any, admin: TestClient, world: World, receiver: Receiver
) -> None:
    hook = create_webhook(admin, world, receiver.url)
    admin.post(f"/api/v1/organizations/{world.org.id}/webhooks/{hook['id']}/test")
    deliver_due(world.db, now=clock.now())
    dead = create_webhook(admin, world, "https://never.example/")
    admin.post(f"/api/v1/organizations/{world.org.id}/webhooks/{dead['id']}/test")  # pending
    frozen_clock.set(frozen_clock.at + timedelta(days=31))
    assert sweep(world.db, now=clock.now()).pruned == 1
    with world.db.transaction(write=False) as s:
        left = s.scalars(select(WebhookDelivery.status)).all()
    assert left == ["pending"]


def _sweep_at_once(db: Database, threads: int) -> tuple[list[Any], list[BaseException]]:
    """`threads` sweeps released together; their reports and errors."""
    barrier = threading.Barrier(threads)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            reports.append(sweep(db, now=clock.now()))
        except BaseException as exc:  # pragma: no cover - reported by the caller
            errors.append(exc)

    running = [threading.Thread(target=work) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    return reports, errors


def test_concurrent_sweeps_emit_each_event_once(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    create_webhook(admin, world, "https://a.example/", events=EXPIRY)
    create_webhook(admin, world, "https://b.example/", events=["api_key.expiring"])
    keys: list[str] = []
    rounds = 5
    for n in range(rounds):
        # Each round: new keys that enter the window, and earlier ones that expire.
        for i in range(8):
            keys.append(make_key(world, title=f"K{n}-{i}", days=1 + i % 3)[0])
        reports, errors = _sweep_at_once(world.db, 4)
        assert errors == []
        assert sum(r.expiring for r in reports) == 8, n
        frozen_clock.set(frozen_clock.at + timedelta(days=1))
    events = _events(world.db)
    expiring = [k for t, k in events if t == "api_key.expiring"]
    expired = [k for t, k in events if t == "api_key.expired"]
    # Two subscribed webhooks get each expiring event; one gets the expired ones.
    assert sorted(expiring) == sorted(keys * 2)
    assert len(expired) == len(set(expired))
    with world.db.transaction(write=False) as s:
        pairs = s.execute(select(KeyNotification.key_id, KeyNotification.kind)).all()
    assert len(pairs) == len(set(pairs))
    assert set(expired) == {k for k, kind in pairs if kind == "expired"}
