"""Rolling a key: a new secret for the same key, the old one kept for an overlap window;
and the webhook events of a key's life (created, rolled, deleted)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyhouse.auth import keys
from keyhouse.models import ApiKey, RetiredSecret, Webhook, WebhookDelivery
from keyhouse.webhooks.events import EVENT_TYPES
from tests.factories import World, create_resource, key_client, login, make_key

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the frozen clock's first instant
TODAY = NOW.date()
TINY = timedelta(microseconds=1)


def _keys_url(world: World, key_id: str = "", org_id: str | None = None) -> str:
    base = f"/api/v1/organizations/{org_id or world.org.id}/api-keys"
    return f"{base}/{key_id}" if key_id else base


def _roll_url(world: World, key_id: str, org_id: str | None = None) -> str:
    return _keys_url(world, key_id, org_id) + "/roll"


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _projects(world: World) -> str:
    return f"/api/v1/organizations/{world.org.id}/projects"


def _code(response: Any) -> str:
    return str(response.json()["code"])


@pytest.fixture
def admin(frozen_clock, client: TestClient, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(client, world.admin.email)


def _roll(admin: TestClient, world: World, key_id: str, **body: Any) -> dict[str, Any]:
    response = admin.post(_roll_url(world, key_id), json=body)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()  # type: ignore[no-any-return]


# --- what a roll keeps and changes ----------------------------------------------------------


def test_roll_keeps_the_key_and_replaces_the_secret(app, admin: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    key_id, old = make_key(world, title="Pipeline")
    kc = key_client(app, old)
    project = create_resource(kc, world.org.id, "projects", "Owned by the key")
    shared = create_resource(admin, world.org.id, "projects", "Shared with the key")
    entries = [
        {"principalId": world.admin.member_id, "permission": "owner"},
        {"principalId": key_id, "permission": "modify"},
    ]
    put = admin.put(f"{_projects(world)}/{shared['id']}/permissions", json={"entries": entries})
    assert put.status_code == 200, put.text
    before = admin.get(_keys_url(world, key_id)).json()

    rolled = _roll(admin, world, key_id)
    secret = rolled.pop("secret")
    assert keys.is_well_formed(secret) and secret != old
    for field in ("id", "title", "role", "email", "createdBy", "creationDate", "expirationDate"):
        assert rolled[field] == before[field], field
    assert _instant(rolled["lastRolledDate"]) == NOW
    assert rolled["previousSecretValidUntil"] is None  # overlap 0: the old one stopped
    assert admin.get(_keys_url(world, key_id)).json() == rolled

    # The new secret is the same principal: same ownership, same permissions.
    new = key_client(app, secret)
    got = new.get(f"{_projects(world)}/{project['id']}")
    assert got.status_code == 200
    assert [o["id"] for o in got.json()["owners"]] == [key_id]
    changed = new.patch(f"{_projects(world)}/{shared['id']}", json={"name": "Renamed"})
    assert changed.status_code == 200, changed.text
    permissions = admin.get(f"{_projects(world)}/{shared['id']}/permissions").json()["entries"]
    assert {(e["principal"]["id"], e["permission"]) for e in permissions} == {
        (world.admin.member_id, "owner"),
        (key_id, "modify"),
    }

    # overlapHours 0: the old secret is refused at once, with its own code.
    refused = kc.get(_projects(world))
    assert refused.status_code == 401
    assert _code(refused) == "api_key_rolled"
    assert old not in refused.text and secret not in refused.text


def test_the_old_secret_works_until_the_exact_end_of_the_overlap(  # type: ignore[no-untyped-def]
    frozen_clock, app, admin: TestClient, world: World
) -> None:
    key_id, old = make_key(world, title="Overlapping")
    rolled = _roll(admin, world, key_id, overlapHours=24)
    end = NOW + timedelta(hours=24)
    assert _instant(rolled["previousSecretValidUntil"]) == end
    old_client, new_client = key_client(app, old), key_client(app, rolled["secret"])

    # During the overlap the old secret is the key, for reads and writes alike.
    made = old_client.post(_projects(world), json={"name": "Made with the old secret"})
    assert made.status_code == 201, made.text
    assert [o["id"] for o in made.json()["owners"]] == [key_id]
    frozen_clock.set(end - TINY)
    assert old_client.get(_projects(world)).status_code == 200
    assert new_client.get(_projects(world)).status_code == 200

    frozen_clock.set(end)
    refused = old_client.get(_projects(world))
    assert refused.status_code == 401 and _code(refused) == "api_key_rolled"
    assert new_client.get(_projects(world)).status_code == 200
    # ... for as long as the key exists.
    frozen_clock.set(end + timedelta(days=20))
    assert _code(old_client.get(_projects(world))) == "api_key_rolled"
    assert new_client.get(_projects(world)).status_code == 200

    later = login(TestClient(app), world.admin.email)
    assert later.get(_keys_url(world, key_id)).json()["previousSecretValidUntil"] is None


def test_rolling_again_retires_the_current_secret_too(  # type: ignore[no-untyped-def]
    frozen_clock, app, admin: TestClient, world: World
) -> None:
    key_id, first = make_key(world, title="Twice")
    second = _roll(admin, world, key_id, overlapHours=48)["secret"]
    frozen_clock.set(NOW + timedelta(hours=1))
    third = _roll(admin, world, key_id, overlapHours=0)
    # The first secret keeps its own 48 hours; the second stopped at the second roll.
    assert _instant(third["previousSecretValidUntil"]) == NOW + timedelta(hours=48)
    assert _instant(third["lastRolledDate"]) == NOW + timedelta(hours=1)
    assert key_client(app, first).get(_projects(world)).status_code == 200
    assert _code(key_client(app, second).get(_projects(world))) == "api_key_rolled"
    assert key_client(app, third["secret"]).get(_projects(world)).status_code == 200
    frozen_clock.set(NOW + timedelta(hours=48))
    assert _code(key_client(app, first).get(_projects(world))) == "api_key_rolled"
    assert key_client(app, third["secret"]).get(_projects(world)).status_code == 200


def test_roll_with_a_new_expiration_date(frozen_clock, app, world: World) -> None:  # type: ignore[no-untyped-def]
    key_id, old = make_key(world, title="Renewed", days=5)
    admin = login(TestClient(app), world.admin.email)
    new_date = (TODAY + timedelta(days=90)).isoformat()
    rolled = _roll(admin, world, key_id, expirationDate=new_date, overlapHours=1)
    assert rolled["expirationDate"] == new_date and rolled["status"] == "active"
    # The date is the key's: the old secret, during its overlap, works to the new date too.
    frozen_clock.set(NOW + timedelta(minutes=30))
    assert key_client(app, old).get(_projects(world)).status_code == 200

    # An expired key can be rolled back to life only with a new date.
    frozen_clock.set(datetime(2030, 9, 14, 0, 0, tzinfo=UTC))  # the day after new_date
    admin = login(TestClient(app), world.admin.email)
    assert _code(key_client(app, rolled["secret"]).get(_projects(world))) == "api_key_expired"
    refused = admin.post(_roll_url(world, key_id), json={})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "expirationDate"
    revived = _roll(admin, world, key_id, expirationDate="2030-10-01")
    assert revived["status"] == "active"
    assert key_client(app, revived["secret"]).get(_projects(world)).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"overlapHours": -1}, "overlapHours", id="overlap-negative"),
        pytest.param({"overlapHours": 73}, "overlapHours", id="overlap-73"),
        pytest.param({"overlapHours": 1.5}, "overlapHours", id="overlap-fraction"),
        pytest.param({"overlapHours": "4"}, "overlapHours", id="overlap-string"),
        pytest.param({"overlapHours": True}, "overlapHours", id="overlap-bool"),
        pytest.param({"overlapHours": None}, "overlapHours", id="overlap-null"),
        pytest.param({"expirationDate": "2030-06-14"}, "expirationDate", id="date-yesterday"),
        pytest.param({"expirationDate": "2032-06-15"}, "expirationDate", id="date-too-far"),
        pytest.param({"expirationDate": "2030-02-30"}, "expirationDate", id="date-unreal"),
        pytest.param({"expirationDate": "2030-07-01T00:00Z"}, "expirationDate", id="date-time"),
        pytest.param({"secret": "kh_x"}, "secret", id="extra-secret"),
        pytest.param({"title": "New title"}, "title", id="extra-title"),
        pytest.param({"overlap_hours": 2}, "overlap_hours", id="snake-case"),
    ],
)
def test_roll_validation(admin: TestClient, world: World, body: dict[str, Any], field: str) -> None:
    key_id, secret = make_key(world, title="Validated")
    response = admin.post(_roll_url(world, key_id), json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert field in [e["field"] for e in problem["errors"]]
    # Nothing changed: the secret still works, nothing was retired.
    with world.db.transaction() as s:
        assert s.scalar(select(ApiKey.rolled_at).where(ApiKey.id == key_id)) is None
        assert s.scalar(select(func.count()).select_from(RetiredSecret)) == 0


def test_roll_accepts_the_bounds_and_no_body(admin: TestClient, world: World) -> None:
    key_id, _ = make_key(world, title="Bounds")
    assert _instant(_roll(admin, world, key_id, overlapHours=72)["previousSecretValidUntil"]) == (
        NOW + timedelta(hours=72)
    )
    bare = admin.post(_roll_url(world, key_id))  # no body at all: overlap 0
    assert bare.status_code == 200, bare.text
    assert keys.is_well_formed(bare.json()["secret"])


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("editor member", 403, "forbidden"),
        ("viewer member", 403, "forbidden"),
        ("editor key", 403, "forbidden"),
        ("the key itself", 403, "forbidden"),
        ("nobody", 401, "unauthenticated"),
        ("other org admin", 404, "not_found"),
    ],
)
def test_only_administrator_sessions_roll(  # type: ignore[no-untyped-def]
    frozen_clock, app, world: World, caller: str, status: int, code: str
) -> None:
    key_id, secret = make_key(world, title="Target")
    client = TestClient(app)
    if caller.endswith("member"):
        login(client, world.org.people[caller.split()[0]].email)
    elif caller == "editor key":
        client = key_client(app, make_key(world, title="Another")[1])
    elif caller == "the key itself":
        client = key_client(app, secret)
    elif caller == "other org admin":
        login(client, world.other.people["admin"].email)
    response = client.post(_roll_url(world, key_id), json={"overlapHours": 1})
    assert response.status_code == status, response.text
    assert _code(response) == code
    assert key_client(app, secret).get(_projects(world)).status_code == 200
    with world.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RetiredSecret)) == 0


def test_another_organizations_key_answers_like_a_missing_one(
    admin: TestClient, world: World
) -> None:
    theirs, secret = make_key(world, org=world.other, title="Theirs")
    response = admin.post(_roll_url(world, theirs), json={})
    reference = admin.post(_roll_url(world, str(uuid.uuid4())), json={})
    assert response.status_code == 404 and response.json() == reference.json()
    # Through their organization's path too.
    assert admin.post(_roll_url(world, theirs, world.other.id), json={}).status_code == 404
    with world.db.transaction() as s:
        assert s.scalar(select(ApiKey.rolled_at).where(ApiKey.id == theirs)) is None


def test_deleting_a_key_removes_its_retired_secrets(  # type: ignore[no-untyped-def]
    app, admin: TestClient, world: World
) -> None:
    key_id, old = make_key(world, title="Short-lived")
    new = _roll(admin, world, key_id, overlapHours=10)["secret"]
    assert admin.delete(_keys_url(world, key_id)).status_code == 200
    with world.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(RetiredSecret)) == 0
    for secret in (old, new):
        refused = key_client(app, secret).get(_projects(world))
        assert refused.status_code == 401 and _code(refused) == "api_key_invalid"


# --- audit and webhook events ---------------------------------------------------------------


def _subscribe_everything(world: World) -> str:
    with world.db.transaction() as s:
        hook = Webhook(
            organization_id=world.org.id,
            url="https://hooks.example.test/keyhouse",
            description="everything",
            secret="whsec_test",
            events=list(EVENT_TYPES),
            active=True,
            created_at=NOW,
            created_by_name="Test",
        )
        s.add(hook)
        s.flush()
        return hook.id


def _events(world: World) -> list[tuple[str, dict[str, Any]]]:
    with world.db.transaction() as s:
        rows = s.execute(
            select(WebhookDelivery.event_type, WebhookDelivery.body).order_by(
                WebhookDelivery.created_at, WebhookDelivery.event_type
            )
        ).all()
    return [(kind, json.loads(body)) for kind, body in rows]


def test_created_rolled_and_deleted_are_audited_and_queued_for_webhooks(  # type: ignore[no-untyped-def]
    frozen_clock, app, admin: TestClient, world: World
) -> None:
    _subscribe_everything(world)
    created = admin.post(
        _keys_url(world),
        json={"title": "Evented", "expirationDate": "2030-09-01", "role": "editor"},
    )
    assert created.status_code == 201
    key_id = created.json()["id"]
    kc = key_client(app, created.json()["secret"])
    project = create_resource(kc, world.org.id, "projects", "Handed over")

    frozen_clock.set(NOW + timedelta(minutes=5))
    rolled = _roll(admin, world, key_id, overlapHours=6, expirationDate="2030-10-01")
    frozen_clock.set(NOW + timedelta(minutes=10))
    deleted = admin.delete(_keys_url(world, key_id), params={"transferTo": world.editor.member_id})
    assert deleted.status_code == 200, deleted.text
    # Refused changes queue nothing.
    assert admin.post(_roll_url(world, key_id), json={}).status_code == 404

    events = _events(world)
    assert [kind for kind, _ in events] == ["api_key.created", "api_key.rolled", "api_key.deleted"]
    bodies = [body for _, body in events]
    assert all(b["organizationId"] == world.org.id for b in bodies)
    assert all(b["data"]["apiKey"]["id"] == key_id for b in bodies)
    assert all(b["data"]["apiKey"]["title"] == "Evented" for b in bodies)
    assert [_instant(b["createdAt"]) for b in bodies] == [
        NOW,
        NOW + timedelta(minutes=5),
        NOW + timedelta(minutes=10),
    ]
    rolled_data = bodies[1]["data"]
    assert _instant(rolled_data["previousSecretValidUntil"]) == NOW + timedelta(hours=6, minutes=5)
    assert rolled_data["overlapHours"] == 6
    assert rolled_data["apiKey"]["expirationDate"] == "2030-10-01"
    deleted_data = bodies[2]["data"]
    assert deleted_data["recipient"]["id"] == world.editor.member_id
    assert deleted_data["transferred"]["count"] == 1
    assert [r["id"] for r in deleted_data["transferred"]["items"]] == [project["id"]]
    assert deleted_data["released"]["count"] == 0 and deleted_data["deleted"]["count"] == 0
    text = json.dumps(bodies)
    assert created.json()["secret"] not in text and rolled["secret"] not in text

    audit = admin.get(
        f"/api/v1/organizations/{world.org.id}/audit-events",
        params={"filter": "action:equals:api_key.rolled", "limit": 100},
    )
    assert audit.status_code == 200, audit.text
    (event,) = audit.json()["items"]
    assert event["targetId"] == key_id and event["actor"]["id"] == world.admin.member_id
    assert event["details"] == {
        "overlapHours": 6,
        "previousSecretValidUntil": "2030-06-15T18:05:00Z",
        "previousExpirationDate": "2030-09-01",
        "expirationDate": "2030-10-01",
    }
    assert rolled["secret"] not in audit.text


def test_a_failed_roll_or_creation_queues_no_event(admin: TestClient, world: World) -> None:
    _subscribe_everything(world)
    key_id, _ = make_key(world, title="Taken")
    before = len(_events(world))
    assert admin.post(_roll_url(world, key_id), json={"overlapHours": 99}).status_code == 422
    taken = admin.post(
        _keys_url(world), json={"title": "taken", "expirationDate": "2030-07-01", "role": "editor"}
    )
    assert taken.status_code == 409
    assert len(_events(world)) == before
