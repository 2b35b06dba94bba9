"""Webhook CRUD, URL rules, authorization, the delivery log, test pings; org settings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyhouse.models import AuditEvent, Webhook, WebhookDelivery
from keyhouse.webhooks.events import EVENT_TYPES, emit
from tests.factories import World, key_client, login, make_key
from tests.webhooks.conftest import create_webhook, hooks_url

SECRET = re.compile(r"whsec_[A-Za-z0-9]{32}")


def _audit(world: World, action: str) -> list[AuditEvent]:
    with world.db.transaction(write=False) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_create_shows_the_secret_once_then_never(admin: TestClient, world: World) -> None:
    created = create_webhook(admin, world, "https://hooks.example.com/keyhouse?token=abc")
    assert SECRET.fullmatch(created["secret"])
    assert created["url"] == "https://hooks.example.com/keyhouse?token=abc"
    assert created["events"] == list(EVENT_TYPES)  # all five by default
    assert created["active"] is True
    assert created["description"] == ""
    assert created["createdBy"] == world.admin.name
    assert created["lastDelivery"] is None
    one = admin.get(f"{hooks_url(world)}/{created['id']}")
    assert one.status_code == 200
    assert "secret" not in one.json()
    assert one.json() == {k: v for k, v in created.items() if k != "secret"}
    page = admin.get(hooks_url(world)).json()
    assert page["total"] == 1 and "secret" not in page["items"][0]
    assert created["secret"] not in admin.get(hooks_url(world)).text
    # The audit log names the webhook without its query string (the receiver's token).
    (event,) = _audit(world, "webhook.created")
    assert event.target_name == "https://hooks.example.com/keyhouse"
    assert event.actor_id == world.admin.member_id
    assert created["secret"] not in str(event.details)


def test_create_response_is_not_cached(admin: TestClient, world: World) -> None:
    response = admin.post(hooks_url(world), json={"url": "https://a.example/h"})
    assert response.headers["Cache-Control"] == "no-store"


def test_secrets_differ(admin: TestClient, world: World) -> None:
    a = create_webhook(admin, world, "https://a.example/h")["secret"]
    b = create_webhook(admin, world, "https://b.example/h")["secret"]
    assert a != b


def test_events_subset_kept_in_documented_order(admin: TestClient, world: World) -> None:
    created = create_webhook(
        admin,
        world,
        "https://a.example/h",
        events=["api_key.deleted", "api_key.expiring", "api_key.deleted"],
        description="  Ops channel  ",
    )
    assert created["events"] == ["api_key.expiring", "api_key.deleted"]
    assert created["description"] == "Ops channel"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hook",
        "https://example.com:8443/a/b?c=d",
        "HTTPS://EXAMPLE.COM/x",
        "http://127.0.0.1:8080/hook",
        "http://127.1.2.3/hook",
        "http://[::1]:9000/hook",
        "http://localhost:3000/hook",
        "https://10.0.0.5/internal",
        "https://" + "a" * 60 + ".example/" + "p" * 1900,
    ],
)
def test_allowed_urls(admin: TestClient, world: World, url: str) -> None:
    assert admin.post(hooks_url(world), json={"url": url}).status_code == 201


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/hook", "https://"),
        ("http://10.0.0.1/hook", "https://"),
        ("http://128.0.0.1/hook", "https://"),
        ("http://localhost.example.com/hook", "https://"),
        ("ftp://example.com/hook", "https://"),
        ("example.com/hook", "https://"),
        ("javascript:alert(1)", "https://"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https://token@example.com/hook", "user name or password"),
        ("http://user@127.0.0.1/hook", "user name or password"),
        ("https:///nohost", "host"),
        ("https://example.com:99999/", "valid URL"),
        ("https://example.com:abc/", "valid URL"),
        ("https://exa mple.com/", "spaces"),
        ("https://example.com/\u202e", "control"),
        ("", "empty"),
        ("https://example.com/" + "p" * 1990, "2000"),
    ],
)
def test_refused_urls(admin: TestClient, world: World, url: str, reason: str) -> None:
    response = admin.post(hooks_url(world), json={"url": url})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_failed"
    assert [e["field"] for e in body["errors"]] == ["url"]
    assert reason in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://a.example/h", "events": []}, "events"),
        ({"url": "https://a.example/h", "events": ["webhook.test"]}, "events[0]"),
        ({"url": "https://a.example/h", "events": ["api_key.nope"]}, "events[0]"),
        ({"url": "https://a.example/h", "description": "x" * 501}, "description"),
        ({"url": "https://a.example/h", "description": "a\x07b"}, "description"),
        ({"url": "https://a.example/h", "secret": "whsec_mine"}, "secret"),
        ({"description": "no url"}, "url"),
    ],
)
def test_refused_bodies(admin: TestClient, world: World, body: dict[str, Any], field: str) -> None:
    response = admin.post(hooks_url(world), json=body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_update(admin: TestClient, world: World) -> None:
    created = create_webhook(admin, world, "https://a.example/h")
    url = f"{hooks_url(world)}/{created['id']}"
    changed = admin.patch(
        url,
        json={
            "url": "https://b.example/h2",
            "description": "New",
            "events": ["api_key.expired"],
            "active": False,
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["url"] == "https://b.example/h2"
    assert body["description"] == "New"
    assert body["events"] == ["api_key.expired"]
    assert body["active"] is False
    assert "secret" not in body
    (event,) = _audit(world, "webhook.updated")
    assert event.details["active"] == {"from": True, "to": False}
    assert event.details["url"] == {"from": "https://a.example/h", "to": "https://b.example/h2"}
    # Nothing given, nothing changed, nothing audited.
    assert admin.patch(url, json={}).json() == body
    assert admin.patch(url, json={"active": False}).json() == body
    assert len(_audit(world, "webhook.updated")) == 1
    # The same rules as creation.
    refused = admin.patch(url, json={"url": "http://example.com/"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "url"
    assert admin.patch(url, json={"events": []}).status_code == 422
    assert admin.patch(url, json={"secret": "x"}).status_code == 422
    # The secret survives updates.
    with world.db.transaction(write=False) as s:
        assert s.get(Webhook, created["id"]).secret == created["secret"]  # type: ignore[union-attr]


def test_delete_removes_the_log_too(admin: TestClient, world: World) -> None:
    created = create_webhook(admin, world, "https://a.example/h")
    admin.post(f"{hooks_url(world)}/{created['id']}/test")
    response = admin.delete(f"{hooks_url(world)}/{created['id']}")
    assert response.status_code == 204 and response.content == b""
    assert admin.get(f"{hooks_url(world)}/{created['id']}").status_code == 404
    assert admin.delete(f"{hooks_url(world)}/{created['id']}").status_code == 404
    with world.db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    (event,) = _audit(world, "webhook.deleted")
    assert event.target_id == created["id"]


def test_list_grammar(frozen_clock: Any, admin: TestClient, world: World) -> None:
    start = frozen_clock.at
    for i, host in enumerate(["b.example", "a.example", "c.test"]):
        frozen_clock.set(start + timedelta(minutes=i))
        create_webhook(admin, world, f"https://{host}/h")
    page = admin.get(hooks_url(world)).json()
    assert [i["url"] for i in page["items"]] == [
        "https://c.test/h",
        "https://a.example/h",
        "https://b.example/h",
    ]  # newest first
    assert (page["total"], page["limit"], page["offset"]) == (3, 25, 0)
    by_url = admin.get(hooks_url(world), params={"sort": "url"}).json()["items"]
    assert [i["url"] for i in by_url] == sorted(i["url"] for i in by_url)
    filtered = admin.get(
        hooks_url(world), params={"filter": "url:contains:.EXAMPLE", "sort": "createdAt"}
    ).json()
    assert [i["url"] for i in filtered["items"]] == ["https://b.example/h", "https://a.example/h"]
    day = start.date().isoformat()
    assert (
        admin.get(hooks_url(world), params={"filter": f"createdAt:is:{day}"}).json()["total"] == 3
    )
    second = admin.get(hooks_url(world), params={"limit": 1, "offset": 1}).json()
    assert second["total"] == 3 and len(second["items"]) == 1
    for bad in ({"sort": "secret"}, {"filter": "secret:contains:x"}, {"filter": "url:is:x"}):
        refused = admin.get(hooks_url(world), params=bad)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_query"


def test_limit_per_organization(admin: TestClient, world: World) -> None:
    from keyhouse.webhooks.service import MAX_WEBHOOKS_PER_ORGANIZATION

    for i in range(MAX_WEBHOOKS_PER_ORGANIZATION):
        create_webhook(admin, world, f"https://h{i}.example/")
    refused = admin.post(hooks_url(world), json={"url": "https://one-more.example/"})
    assert refused.status_code == 409
    assert refused.json()["code"] == "webhook_limit_reached"


# --- who may ---------------------------------------------------------------------------


def test_api_keys_members_and_strangers_are_refused(app: Any, world: World) -> None:
    _, secret = make_key(world, role="editor")
    with TestClient(app) as owner:
        hook = create_webhook(login(owner, world.admin.email), world, "https://a.example/h")
    one = f"{hooks_url(world)}/{hook['id']}"
    calls = [
        ("GET", hooks_url(world), None),
        ("POST", hooks_url(world), {"url": "https://x.example/"}),
        ("GET", one, None),
        ("PATCH", one, {"active": False}),
        ("DELETE", one, None),
        ("GET", f"{one}/deliveries", None),
        ("POST", f"{one}/test", None),
        ("GET", f"/api/v1/organizations/{world.org.id}/settings", None),
        ("PATCH", f"/api/v1/organizations/{world.org.id}/settings", {"expiryWarningDays": 3}),
    ]
    key = key_client(app, secret)
    with TestClient(app) as editor_client, TestClient(app) as other_admin_client:
        editor = login(editor_client, world.editor.email)
        stranger = login(other_admin_client, world.other.people["admin"].email)
        for method, url, body in calls:
            assert key.request(method, url, json=body).status_code == 403, (method, url)
            assert editor.request(method, url, json=body).status_code == 403, (method, url)
            # Another organization's administrator: as if it did not exist.
            assert stranger.request(method, url, json=body).status_code == 404, (method, url)
            assert TestClient(app).request(method, url, json=body).status_code == 401
    # Through its own organization's path, the other administrator still finds nothing.
    other_path = f"{hooks_url(world, world.other.id)}/{hook['id']}"
    assert stranger.get(other_path).status_code == 404
    assert stranger.patch(other_path, json={"active": False}).status_code == 404
    assert stranger.delete(other_path).status_code == 404
    assert stranger.post(f"{other_path}/test").status_code == 404
    assert stranger.get(f"{other_path}/deliveries").status_code == 404
    assert stranger.get(hooks_url(world, world.other.id)).json()["total"] == 0
    with world.db.transaction(write=False) as s:
        still = s.get(Webhook, hook["id"])
        assert still is not None and still.active is True


# --- the delivery log and test pings ---------------------------------------------------


def test_test_ping_is_queued_and_logged(admin: TestClient, world: World) -> None:
    hook = create_webhook(admin, world, "https://a.example/h", events=["api_key.deleted"])
    queued = admin.post(f"{hooks_url(world)}/{hook['id']}/test")
    assert queued.status_code == 202, queued.text
    delivery = queued.json()
    assert delivery["eventType"] == "webhook.test"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == 0
    assert delivery["lastStatusCode"] is None and delivery["lastError"] is None
    assert delivery["nextAttemptAt"] == delivery["createdAt"]
    log = admin.get(f"{hooks_url(world)}/{hook['id']}/deliveries").json()
    assert log["total"] == 1 and log["items"][0] == delivery
    listed = admin.get(f"{hooks_url(world)}/{hook['id']}").json()
    assert listed["lastDelivery"] == {
        "status": "pending",
        "at": delivery["createdAt"],
        "statusCode": None,
    }


def test_deliveries_log_newest_first_and_filterable(
    frozen_clock: Any, admin: TestClient, world: World
) -> None:
    start = frozen_clock.at
    hook = create_webhook(admin, world, "https://a.example/h")
    other = create_webhook(admin, world, "https://b.example/h")
    frozen_clock.set(start + timedelta(minutes=1))
    with world.db.transaction() as s:
        emit(s, world.org.id, "api_key.created", {"n": 1})
    frozen_clock.set(start + timedelta(minutes=2))
    admin.post(f"{hooks_url(world)}/{hook['id']}/test")
    frozen_clock.set(start + timedelta(minutes=3))
    with world.db.transaction() as s:
        emit(s, world.org.id, "api_key.deleted", {"n": 2})
    log_url = f"{hooks_url(world)}/{hook['id']}/deliveries"
    log = admin.get(log_url).json()
    assert [d["eventType"] for d in log["items"]] == [
        "api_key.deleted",
        "webhook.test",
        "api_key.created",
    ]
    assert log["total"] == 3
    # Each webhook has its own log; one event has one id across webhooks.
    other_log = admin.get(f"{hooks_url(world)}/{other['id']}/deliveries").json()
    assert [d["eventType"] for d in other_log["items"]] == ["api_key.deleted", "api_key.created"]
    assert other_log["items"][0]["eventId"] == log["items"][0]["eventId"]
    assert other_log["items"][0]["id"] != log["items"][0]["id"]
    only_test = admin.get(log_url, params={"filter": "eventType:is:webhook.test"}).json()
    assert [d["eventType"] for d in only_test["items"]] == ["webhook.test"]
    keys = admin.get(
        log_url, params={"filter": "eventType:isAnyOf:api_key.created,api_key.deleted"}
    ).json()
    assert keys["total"] == 2
    assert admin.get(log_url, params={"filter": "status:is:delivered"}).json()["total"] == 0
    assert admin.get(log_url, params={"filter": "status:is:pending"}).json()["total"] == 3
    oldest = admin.get(log_url, params={"sort": "createdAt", "limit": 1}).json()
    assert oldest["items"][0]["eventType"] == "api_key.created"
    assert admin.get(log_url, params={"filter": "status:is:lost"}).status_code == 400
    assert admin.get(log_url, params={"sort": "body"}).status_code == 400
    assert admin.get(f"{hooks_url(world)}/nope/deliveries").status_code == 404


def test_emit_skips_paused_and_unsubscribed_webhooks(admin: TestClient, world: World) -> None:
    subscribed = create_webhook(admin, world, "https://a.example/h", events=["api_key.created"])
    create_webhook(admin, world, "https://b.example/h", events=["api_key.deleted"])
    paused = create_webhook(admin, world, "https://c.example/h")
    admin.patch(f"{hooks_url(world)}/{paused['id']}", json={"active": False})
    with TestClient(admin.app) as other_client:
        other_admin = login(other_client, world.other.people["admin"].email)
        response = other_admin.post(
            hooks_url(world, world.other.id), json={"url": "https://d.example/h"}
        )
        assert response.status_code == 201
    with world.db.transaction() as s:
        assert emit(s, world.org.id, "api_key.created", {"apiKey": {"id": "k"}}) == 1
    with world.db.transaction(write=False) as s:
        rows = list(s.scalars(select(WebhookDelivery)))
    assert [r.webhook_id for r in rows] == [subscribed["id"]]


# --- organization settings -------------------------------------------------------------


def test_settings_read_and_change(admin: TestClient, world: World) -> None:
    url = f"/api/v1/organizations/{world.org.id}/settings"
    assert admin.get(url).json() == {"expiryWarningDays": 14}
    changed = admin.patch(url, json={"expiryWarningDays": 30})
    assert changed.status_code == 200 and changed.json() == {"expiryWarningDays": 30}
    assert admin.get(url).json() == {"expiryWarningDays": 30}
    (event,) = _audit(world, "organization.settings_changed")
    assert event.details == {"expiryWarningDays": {"from": 14, "to": 30}}
    assert event.target_id == world.org.id and event.actor_id == world.admin.member_id
    # No change, no audit event.
    assert admin.patch(url, json={"expiryWarningDays": 30}).status_code == 200
    assert admin.patch(url, json={}).json() == {"expiryWarningDays": 30}
    assert len(_audit(world, "organization.settings_changed")) == 1
    # The other organization is untouched.
    other_admin = login(TestClient(admin.app), world.other.people["admin"].email)
    assert other_admin.get(f"/api/v1/organizations/{world.other.id}/settings").json() == {
        "expiryWarningDays": 14
    }


@pytest.mark.parametrize("value", [0, 366, -1, "30", 14.5, True])
def test_settings_bounds(admin: TestClient, world: World, value: object) -> None:
    url = f"/api/v1/organizations/{world.org.id}/settings"
    response = admin.patch(url, json={"expiryWarningDays": value})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "expiryWarningDays"
    assert admin.get(url).json() == {"expiryWarningDays": 14}


@pytest.mark.parametrize("value", [1, 365])
def test_settings_limits_are_inclusive(admin: TestClient, world: World, value: int) -> None:
    url = f"/api/v1/organizations/{world.org.id}/settings"
    assert admin.patch(url, json={"expiryWarningDays": value}).json() == {
        "expiryWarningDays": value
    }
