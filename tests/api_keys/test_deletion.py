"""Deleting a key: transfer, release, deletion of dependents, the 409 preview, rollback."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyhouse.models import ApiKey, AuditEvent, Permission, Principal, Resource
from keyhouse.resources import ownership
from tests.factories import World, create_resource, key_client, login, make_key


def _keys_url(world: World, key_id: str = "") -> str:
    base = f"/api/v1/organizations/{world.org.id}/api-keys"
    return f"{base}/{key_id}" if key_id else base


@pytest.fixture
def admin(client: TestClient, world: World) -> TestClient:
    return login(client, world.admin.email)


def _owned_setup(app, world: World):  # type: ignore[no-untyped-def]
    """A key that solely owns a project (with a layer and a table) and a data source."""
    key_id, secret = make_key(world, title="Owner key")
    kc = key_client(app, secret)
    org = world.org.id
    source = create_resource(kc, org, "datasources", "Source")
    project = create_resource(kc, org, "projects", "Project")
    layer = create_resource(kc, org, "layers", "Layer", project=project["id"], source=source["id"])
    table = create_resource(kc, org, "tables", "Table", project=project["id"], source=source["id"])
    return key_id, secret, kc, source, project, layer, table


def test_end_to_end_transfer_scenario(app, client: TestClient, world: World) -> None:
    """Admin creates an editor key; it builds a project with a layer; deletion hands them over."""
    admin = login(client, world.admin.email)
    created = admin.post(
        _keys_url(world),
        json={"title": "Pipeline", "expirationDate": "2099-01-01", "role": "editor"},
    )
    # 2099 is past the maximum lifetime: the error names the field.
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "expirationDate"
    from keyhouse.core import clock

    expires = clock.today().replace(year=clock.today().year + 1).isoformat()
    created = admin.post(
        _keys_url(world), json={"title": "Pipeline", "expirationDate": expires, "role": "editor"}
    )
    assert created.status_code == 201
    key = created.json()
    kc = key_client(app, key["secret"])
    org = world.org.id
    source = create_resource(kc, org, "datasources", "Roads source")
    project = create_resource(kc, org, "projects", "City")
    layer = create_resource(kc, org, "layers", "Roads", project=project["id"], source=source["id"])

    refused = admin.delete(_keys_url(world, key["id"]))
    assert refused.status_code == 409
    assert refused.json()["code"] == "resources_owned"

    deleted = admin.delete(
        _keys_url(world, key["id"]), params={"transferTo": world.editor.member_id}
    )
    assert deleted.status_code == 200, deleted.text
    body = deleted.json()
    assert body["recipient"]["id"] == world.editor.member_id
    assert {r["id"] for r in body["transferred"]} == {source["id"], project["id"], layer["id"]}
    assert body["deleted"] == [] and body["released"] == []

    editor = login(TestClient(app), world.editor.email)
    for kind, item in (("projects", project), ("layers", layer), ("datasources", source)):
        got = editor.get(f"/api/v1/organizations/{org}/{kind}/{item['id']}")
        assert got.status_code == 200
        assert [o["id"] for o in got.json()["owners"]] == [world.editor.member_id]

    gone = kc.get(f"/api/v1/organizations/{org}/projects")
    assert gone.status_code == 401
    assert gone.json()["code"] == "api_key_invalid"


def test_preview_lists_sole_co_owned_dependents_and_recipients(
    app, admin: TestClient, world: World
) -> None:
    key_id, _, kc, source, project, layer, table = _owned_setup(app, world)
    shared = create_resource(kc, world.org.id, "projects", "Shared")
    put = kc.put(
        f"/api/v1/organizations/{world.org.id}/projects/{shared['id']}/permissions",
        json={
            "entries": [
                {"principalId": key_id, "permission": "owner"},
                {"principalId": world.editor2.member_id, "permission": "owner"},
            ]
        },
    )
    assert put.status_code == 200, put.text
    preview = admin.get(_keys_url(world, key_id) + "/deletion-preview").json()
    assert {r["id"] for r in preview["soleOwned"]} == {
        source["id"],
        project["id"],
        layer["id"],
        table["id"],
    }
    assert [r["id"] for r in preview["coOwned"]] == [shared["id"]]
    # Layer and table are solely owned too, so nothing else would be deleted with them.
    assert preview["dependents"] == []
    roles = {m["role"] for m in preview["eligibleRecipients"]}
    assert roles <= {"editor", "administrator"}
    ids = {m["id"] for m in preview["eligibleRecipients"]}
    assert world.viewer.member_id not in ids
    assert {world.admin.member_id, world.editor.member_id, world.editor2.member_id} <= ids


def test_dependents_owned_by_others_are_listed_and_deleted(
    app, admin: TestClient, world: World
) -> None:
    key_id, secret = make_key(world, title="K")
    kc = key_client(app, secret)
    org = world.org.id
    source = create_resource(kc, org, "datasources", "S")
    project = create_resource(kc, org, "projects", "P")
    editor = login(TestClient(app), world.editor.email)
    # The editor needs modify on the project and view on the source to add a layer.
    for kind, item, level in (("projects", project, "modify"), ("datasources", source, "view")):
        kc.put(
            f"/api/v1/organizations/{org}/{kind}/{item['id']}/permissions",
            json={
                "entries": [
                    {"principalId": key_id, "permission": "owner"},
                    {"principalId": world.editor.member_id, "permission": level},
                ]
            },
        ).raise_for_status()
    layer = create_resource(
        editor, org, "layers", "Editor layer", project=project["id"], source=source["id"]
    )
    preview = admin.get(_keys_url(world, key_id) + "/deletion-preview").json()
    assert [d["id"] for d in preview["dependents"]] == [layer["id"]]

    result = admin.delete(_keys_url(world, key_id), params={"deleteResources": "true"})
    assert result.status_code == 200
    deleted = {r["id"] for r in result.json()["deleted"]}
    assert deleted == {source["id"], project["id"], layer["id"]}
    assert admin.get(f"/api/v1/organizations/{org}/layers/{layer['id']}").status_code == 404
    with world.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Resource)) == 0


def test_co_owned_resources_are_released_not_transferred(
    app, admin: TestClient, world: World
) -> None:
    key_id, secret = make_key(world)
    kc = key_client(app, secret)
    project = create_resource(kc, world.org.id, "projects", "Co-owned")
    url = f"/api/v1/organizations/{world.org.id}/projects/{project['id']}"
    kc.put(
        url + "/permissions",
        json={
            "entries": [
                {"principalId": key_id, "permission": "owner"},
                {"principalId": world.editor2.member_id, "permission": "owner"},
            ]
        },
    ).raise_for_status()
    # Nothing solely owned: no choice needed.
    result = admin.delete(_keys_url(world, key_id))
    assert result.status_code == 200
    assert [r["id"] for r in result.json()["released"]] == [project["id"]]
    assert result.json()["transferred"] == [] and result.json()["recipient"] is None
    owners = admin.get(url).json()["owners"]
    assert [o["id"] for o in owners] == [world.editor2.member_id]


def test_transfer_raises_an_existing_lower_entry_to_owner(
    app, admin: TestClient, world: World
) -> None:
    key_id, secret = make_key(world)
    kc = key_client(app, secret)
    project = create_resource(kc, world.org.id, "projects", "P")
    url = f"/api/v1/organizations/{world.org.id}/projects/{project['id']}"
    kc.put(
        url + "/permissions",
        json={
            "entries": [
                {"principalId": key_id, "permission": "owner"},
                {"principalId": world.editor.member_id, "permission": "view"},
            ]
        },
    ).raise_for_status()
    admin.delete(_keys_url(world, key_id), params={"transferTo": world.editor.member_id})
    entries = admin.get(url + "/permissions").json()["entries"]
    assert entries == [
        {
            "principal": {
                "id": world.editor.member_id,
                "type": "member",
                "name": world.editor.name,
                "email": world.editor.email,
            },
            "permission": "owner",
        }
    ]


def test_conflict_body_is_the_preview_and_nothing_changes(
    app, admin: TestClient, world: World
) -> None:
    key_id, secret, *_ = _owned_setup(app, world)
    preview = admin.get(_keys_url(world, key_id) + "/deletion-preview").json()
    refused = admin.delete(_keys_url(world, key_id))
    assert refused.status_code == 409
    body = refused.json()
    for field in ("soleOwned", "coOwned", "dependents", "eligibleRecipients"):
        assert body[field] == preview[field]
    assert (
        key_client(app, secret).get(f"/api/v1/organizations/{world.org.id}/projects").status_code
        == 200
    )


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("viewer", "viewer"),
        ("key", "principal being deleted"),
        ("stranger", "not a member"),
        ("other_org", "not a member"),
    ],
)
def test_invalid_recipients_are_refused(
    app, admin: TestClient, world: World, who: str, message: str
) -> None:
    key_id, secret, *_ = _owned_setup(app, world)
    target = {
        "viewer": world.viewer.member_id,
        "key": key_id,
        "stranger": "00000000-0000-0000-0000-000000000000",
        "other_org": world.other.people["editor"].member_id,
    }[who]
    result = admin.delete(_keys_url(world, key_id), params={"transferTo": target})
    assert result.status_code == 422
    assert result.json()["errors"][0]["field"] == "transferTo"
    assert message in result.json()["errors"][0]["message"]
    assert admin.get(_keys_url(world, key_id)).status_code == 200


def test_both_choices_at_once_are_refused(app, admin: TestClient, world: World) -> None:
    key_id, *_ = _owned_setup(app, world)
    result = admin.delete(
        _keys_url(world, key_id),
        params={"transferTo": world.editor.member_id, "deleteResources": "true"},
    )
    assert result.status_code == 400
    assert result.json()["code"] == "validation_failed"


def test_deleting_twice_answers_404(app, admin: TestClient, world: World) -> None:
    key_id, _ = make_key(world)
    assert admin.delete(_keys_url(world, key_id)).status_code == 200
    again = admin.delete(_keys_url(world, key_id))
    assert again.status_code == 404 and again.json()["code"] == "not_found"


def test_one_audit_event_records_the_deletion(app, admin: TestClient, world: World) -> None:
    key_id, *_rest = _owned_setup(app, world)
    admin.delete(_keys_url(world, key_id), params={"transferTo": world.editor.member_id})
    events = admin.get(
        f"/api/v1/organizations/{world.org.id}/audit-events",
        params={"filter": "action:equals:api_key.deleted"},
    ).json()
    assert events["total"] == 1
    event = events["items"][0]
    assert event["actor"]["id"] == world.admin.member_id
    assert event["targetId"] == key_id
    assert event["details"]["transferred"]["count"] == 4
    assert event["details"]["recipient"]["id"] == world.editor.member_id


def test_failure_midway_rolls_everything_back(
    app, admin: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, secret, kc, source, project, layer, table = _owned_setup(app, world)

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    # Ownership has already been handed over when the entries are dropped.
    monkeypatch.setattr(ownership, "drop_entries", explode)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.cookies.update(admin.cookies)
        c.headers.update(admin.headers)
        result = c.delete(_keys_url(world, key_id), params={"transferTo": world.editor.member_id})
    assert result.status_code == 500
    assert "disk on fire" not in result.text
    with world.db.transaction() as s:
        assert s.get(ApiKey, key_id) is not None
        assert s.get(Principal, key_id) is not None
        editor_entries = s.scalar(
            select(func.count())
            .select_from(Permission)
            .where(Permission.principal_id == world.editor.member_id)
        )
        assert editor_entries == 0
        key_entries = s.scalar(
            select(func.count()).select_from(Permission).where(Permission.principal_id == key_id)
        )
        assert key_entries == 4
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "api_key.deleted")
            )
            == 0
        )
    assert kc.get(f"/api/v1/organizations/{world.org.id}/projects").status_code == 200
