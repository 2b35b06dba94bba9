"""Audit events: what is recorded, by whom, newest first, filterable, administrators only."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from keyhouse.models import AuditEvent
from tests.factories import PASSWORD, World, create_resource, key_client, login, make_key


def _events_url(world: World, org_id: str | None = None) -> str:
    return f"/api/v1/organizations/{org_id or world.org.id}/audit-events"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _db_events(world: World, action: str) -> list[AuditEvent]:
    with world.db.transaction(write=False) as s:
        return list(
            s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.occurred_at, AuditEvent.id)
            )
        )


def test_key_and_resource_lifecycle_is_recorded_newest_first(
    frozen_clock, app, client: TestClient, world: World
) -> None:
    start = frozen_clock.at
    admin = login(client, world.admin.email)
    frozen_clock.set(start + timedelta(minutes=1))
    expires = (start + timedelta(days=30)).date().isoformat()
    created = admin.post(
        f"/api/v1/organizations/{world.org.id}/api-keys",
        json={"title": "Audited", "expirationDate": expires, "role": "editor"},
    ).json()
    frozen_clock.set(start + timedelta(minutes=2))
    project = create_resource(key_client(app, created["secret"]), world.org.id, "projects", "P")
    frozen_clock.set(start + timedelta(minutes=3))
    deleted = admin.delete(
        f"/api/v1/organizations/{world.org.id}/api-keys/{created['id']}",
        params={"transferTo": world.editor.member_id},
    )
    assert deleted.status_code == 200

    page = admin.get(_events_url(world)).json()
    assert page["total"] == 3 and page["limit"] == 25 and page["offset"] == 0
    items = page["items"]
    assert [e["action"] for e in items] == [
        "api_key.deleted",
        "resource.created",
        "api_key.created",
    ]
    assert [_instant(e["occurredAt"]) for e in items] == [
        start + timedelta(minutes=m) for m in (3, 2, 1)
    ]
    gone, made, born = items
    admin_actor = {
        "id": world.admin.member_id,
        "type": "member",
        "name": world.admin.name,
        "email": world.admin.email,
    }
    assert born["actor"] == admin_actor
    assert (born["targetType"], born["targetId"], born["targetName"]) == (
        "apiKey",
        created["id"],
        "Audited",
    )
    assert born["details"] == {"role": "editor", "expirationDate": expires}
    assert born["clientAddress"] == "testclient"
    assert "secret" not in str(born).lower()

    # Keys act under their own name, and the record outlives the key.
    assert made["actor"] == {
        "id": created["id"],
        "type": "apiKey",
        "name": "Audited",
        "email": created["email"],
    }
    assert (made["targetType"], made["targetId"], made["targetName"]) == (
        "projects",
        project["id"],
        "P",
    )

    assert gone["actor"] == admin_actor
    assert gone["targetId"] == created["id"] and gone["targetName"] == "Audited"
    assert gone["details"]["transferred"]["count"] == 1
    assert gone["details"]["transferred"]["items"] == [
        {"kind": "projects", "id": project["id"], "name": "P"}
    ]
    assert gone["details"]["recipient"]["id"] == world.editor.member_id

    oldest_first = admin.get(_events_url(world), params={"sort": "occurredAt"}).json()["items"]
    assert [e["id"] for e in oldest_first] == [e["id"] for e in reversed(items)]


def test_logins_and_failed_logins_are_recorded(client: TestClient, world: World) -> None:
    ok = client.post("/api/v1/auth/login", json={"email": world.editor.email, "password": PASSWORD})
    assert ok.status_code == 200
    wrong = client.post(
        "/api/v1/auth/login", json={"email": world.editor.email, "password": "nope-nope"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "Ghost@Acme.test", "password": "whatever"}
    )
    assert wrong.status_code == unknown.status_code == 401

    [success] = _db_events(world, "auth.login")
    assert success.organization_id is None
    assert success.actor_id == success.target_id
    assert success.actor_type == "user"
    assert success.actor_email == world.editor.email
    assert success.client_address == "testclient"

    failures = _db_events(world, "auth.login_failed")
    assert len(failures) == 2
    by_email = {f.actor_email: f for f in failures}
    known, ghost = by_email[world.editor.email], by_email["ghost@acme.test"]
    assert known.organization_id is None and ghost.organization_id is None
    assert known.actor_id == success.actor_id
    assert ghost.actor_id is None and ghost.target_id is None
    assert ghost.target_name == "ghost@acme.test"
    # Passwords, right or wrong, are never recorded.
    for event in (success, *failures):
        assert PASSWORD not in str(event.details) and "nope-nope" not in str(event.details)

    # Not organization events: the organization's log does not show them.
    admin = login(TestClient(client.app), world.admin.email)
    actions = {e["action"] for e in admin.get(_events_url(world)).json()["items"]}
    assert not actions & {"auth.login", "auth.login_failed"}


def test_filters_and_pagination(frozen_clock, app, client: TestClient, world: World) -> None:
    admin = login(client, world.admin.email)
    for i in range(3):
        frozen_clock.set(frozen_clock.at + timedelta(seconds=1))
        create_resource(admin, world.org.id, "datasources", f"S{i}")
    frozen_clock.set(frozen_clock.at + timedelta(seconds=1))
    admin.post(
        f"/api/v1/organizations/{world.org.id}/api-keys",
        json={
            "title": "Via API",
            "expirationDate": (frozen_clock.at.date() + timedelta(days=1)).isoformat(),
            "role": "viewer",
        },
    ).raise_for_status()

    def actions(**params: object) -> list[str]:
        response = admin.get(_events_url(world), params=params)
        assert response.status_code == 200, response.text
        return [e["action"] for e in response.json()["items"]]

    assert actions(filter="action:equals:resource.created") == ["resource.created"] * 3
    assert actions(filter="action:startsWith:API_KEY.") == ["api_key.created"]
    assert actions(filter="targetName:equals:s1") == ["resource.created"]
    assert actions(filter="actorType:is:member") == ["api_key.created"] + ["resource.created"] * 3
    assert actions(filter="actorType:is:apiKey") == []
    assert actions(filter="actor:contains:admin@acme") == actions()
    day = frozen_clock.at.date().isoformat()
    assert len(actions(filter=f"occurredAt:is:{day}")) == 4
    assert actions(filter=f"occurredAt:after:{day}") == []
    page = admin.get(_events_url(world), params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    names = [e["targetName"] for e in page["items"]]
    assert names == ["S2", "S1"]
    bad = admin.get(_events_url(world), params={"filter": "details:contains:x"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_query"


@pytest.mark.parametrize(
    ("caller", "status"),
    [("editor", 403), ("viewer", 403), ("key", 403), ("globex admin", 404), ("nobody", 401)],
)
def test_only_administrators_read_the_log(app, world: World, caller: str, status: int) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    if caller in ("editor", "viewer"):
        login(client, world.org.people[caller].email)
    elif caller == "key":
        client = key_client(app, make_key(world)[1])
    elif caller == "globex admin":
        login(client, world.other.people["admin"].email)
    response = client.get(_events_url(world))
    assert response.status_code == status
    assert "items" not in response.json()


def test_denied_access_is_recorded(app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    editor = login(TestClient(app), world.editor.email)
    assert editor.get(f"/api/v1/organizations/{world.org.id}/api-keys").status_code == 403
    admin = login(client, world.admin.email)
    events = admin.get(_events_url(world), params={"filter": "action:equals:access.denied"})
    [event] = events.json()["items"]
    assert event["actor"]["id"] == world.editor.member_id
    assert event["targetName"] == "GET /api/v1/organizations/{orgId}/api-keys"


def test_organizations_do_not_see_each_others_events(app, client: TestClient, world: World) -> None:
    _, theirs = make_key(world, org=world.other)
    create_resource(key_client(app, theirs), world.other.id, "projects", "Globex project")
    admin = login(client, world.admin.email)
    assert admin.get(_events_url(world)).json()["total"] == 0
    other_admin = login(TestClient(app), world.other.people["admin"].email)
    items = other_admin.get(_events_url(world, world.other.id)).json()["items"]
    assert [e["targetName"] for e in items] == ["Globex project", "Key"]
