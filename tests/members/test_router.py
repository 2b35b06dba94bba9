"""Members: list, re-role, preview and remove (same transfer rules as keys), access ends at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyhouse.core import clock
from keyhouse.models import AuditEvent, Member, Permission, Principal
from tests.factories import World, create_resource, key_client, login, make_key


def _members_url(world: World, member_id: str = "", org_id: str | None = None) -> str:
    base = f"/api/v1/organizations/{org_id or world.org.id}/members"
    return f"{base}/{member_id}" if member_id else base


def _url(world: World, kind: str, item_id: str = "") -> str:
    base = f"/api/v1/organizations/{world.org.id}/{kind}"
    return f"{base}/{item_id}" if item_id else base


def _share(owner: TestClient, world: World, kind: str, item: dict, entries: list) -> None:  # type: ignore[type-arg]
    response = owner.put(
        _url(world, kind, str(item["id"])) + "/permissions",
        json={"entries": [{"principalId": p, "permission": level} for p, level in entries]},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def admin(client: TestClient, world: World) -> TestClient:
    return login(client, world.admin.email)


@pytest.fixture
def editor(app, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(TestClient(app), world.editor.email)


# --- list -----------------------------------------------------------------------------------


def test_list_members(admin: TestClient, world: World) -> None:
    page = admin.get(_members_url(world)).json()
    assert page["total"] == 4 and page["limit"] == 25 and page["offset"] == 0
    people = world.org.people
    expected = [
        {"id": p.member_id, "name": p.name, "email": p.email, "role": p.role}
        for p in people.values()
    ]
    by_id = sorted(page["items"], key=lambda m: m["id"])
    assert by_id == sorted(expected, key=lambda m: m["id"])
    # Sorted by name ("Editor of" / "Editor2 of" may swap with the database's collation).
    names = [m["name"] for m in page["items"]]
    assert names[0] == world.admin.name and names[-1] == world.viewer.name
    # Globex's members are not acme's.
    assert world.other.people["admin"].member_id not in {m["id"] for m in page["items"]}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["role:is:editor"], {"editor", "editor2"}),
        (["role:not:editor"], {"admin", "viewer"}),
        (["role:isAnyOf:administrator,viewer"], {"admin", "viewer"}),
        (["role:is:editor", "name:contains:2"], {"editor2"}),
        (["email:startsWith:VIEWER@"], {"viewer"}),
    ],
)
def test_filter_members(
    admin: TestClient, world: World, filters: list[str], expected: set[str]
) -> None:
    page = admin.get(_members_url(world), params={"filter": filters}).json()
    ids = {m["id"] for m in page["items"]}
    assert ids == {world.org.people[label].member_id for label in expected}
    assert page["total"] == len(expected)


def test_member_list_refuses_bad_queries(admin: TestClient, world: World) -> None:
    for params in ({"filter": "role:is:owner"}, {"filter": "password:contains:x"}, {"sort": "pw"}):
        response = admin.get(_members_url(world), params=params)
        assert response.status_code == 400 and response.json()["code"] == "invalid_query"


def test_get_one_member(admin: TestClient, world: World) -> None:
    got = admin.get(_members_url(world, world.viewer.member_id))
    assert got.json() == {
        "id": world.viewer.member_id,
        "name": world.viewer.name,
        "email": world.viewer.email,
        "role": "viewer",
    }
    theirs = admin.get(_members_url(world, world.other.people["editor"].member_id))
    missing = admin.get(_members_url(world, str(uuid.uuid4())))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


# --- re-role --------------------------------------------------------------------------------


def test_change_role_and_its_audit_event(admin: TestClient, world: World) -> None:
    response = admin.patch(_members_url(world, world.viewer.member_id), json={"role": "editor"})
    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    assert admin.get(_members_url(world, world.viewer.member_id)).json()["role"] == "editor"
    events = admin.get(
        f"/api/v1/organizations/{world.org.id}/audit-events",
        params={"filter": "action:equals:member.role_changed"},
    ).json()
    assert events["total"] == 1
    event = events["items"][0]
    assert event["targetId"] == world.viewer.member_id
    assert event["actor"]["id"] == world.admin.member_id
    assert event["details"] == {"from": "viewer", "to": "editor"}
    # The same role again changes nothing and records nothing.
    same = admin.patch(_members_url(world, world.viewer.member_id), json={"role": "editor"})
    assert same.status_code == 200
    again = admin.get(
        f"/api/v1/organizations/{world.org.id}/audit-events",
        params={"filter": "action:equals:member.role_changed"},
    ).json()
    assert again["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "owner"}, "role"),
        ({"role": "Editor"}, "role"),
        ({}, "role"),
        ({"role": "editor", "email": "x@y.test"}, "email"),
    ],
)
def test_change_role_validation(
    admin: TestClient, world: World, body: dict[str, str], field: str
) -> None:
    response = admin.patch(_members_url(world, world.viewer.member_id), json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("level", ["modify", "owner"])
def test_member_holding_modify_or_owner_cannot_become_viewer(
    admin: TestClient, editor: TestClient, world: World, level: str
) -> None:
    project = create_resource(admin, world.org.id, "projects", "Shared")
    _share(
        admin,
        world,
        "projects",
        project,
        [(world.admin.member_id, "owner"), (world.editor.member_id, level)],
    )
    response = admin.patch(_members_url(world, world.editor.member_id), json={"role": "viewer"})
    assert response.status_code == 409
    assert response.json()["code"] == "member_owns_resources"
    assert admin.get(_members_url(world, world.editor.member_id)).json()["role"] == "editor"
    # Reduced to view, the demotion goes through.
    _share(
        admin,
        world,
        "projects",
        project,
        [(world.admin.member_id, "owner"), (world.editor.member_id, "view")],
    )
    response = admin.patch(_members_url(world, world.editor.member_id), json={"role": "viewer"})
    assert response.status_code == 200 and response.json()["role"] == "viewer"
    # And the new viewer can still read it but no longer create.
    assert editor.get(_url(world, "projects", str(project["id"]))).status_code == 200
    assert editor.post(_url(world, "projects"), json={"name": "Nope"}).status_code == 403


def test_last_administrator_cannot_be_demoted(admin: TestClient, world: World) -> None:
    for role in ("editor", "viewer"):
        response = admin.patch(_members_url(world, world.admin.member_id), json={"role": role})
        assert response.status_code == 409
        assert response.json()["code"] == "last_administrator"
    # With a second administrator, the first may step down.
    promoted = admin.patch(
        _members_url(world, world.editor2.member_id), json={"role": "administrator"}
    )
    assert promoted.status_code == 200
    response = admin.patch(_members_url(world, world.admin.member_id), json={"role": "editor"})
    assert response.status_code == 200
    # ...and at once is no longer an administrator.
    assert admin.get(_members_url(world)).status_code == 403
    assert admin.get(f"/api/v1/organizations/{world.org.id}/projects").status_code == 200


# --- removal --------------------------------------------------------------------------------


def _editor_owns(editor: TestClient, admin: TestClient, world: World):  # type: ignore[no-untyped-def]
    """The editor solely owns a source and a project (with a layer), co-owns another project."""
    org = world.org.id
    source = create_resource(editor, org, "datasources", "E source")
    project = create_resource(editor, org, "projects", "E project")
    layer = create_resource(
        editor, org, "layers", "E layer", project=str(project["id"]), source=str(source["id"])
    )
    shared = create_resource(editor, org, "projects", "Shared")
    _share(
        editor,
        world,
        "projects",
        shared,
        [(world.editor.member_id, "owner"), (world.editor2.member_id, "owner")],
    )
    return source, project, layer, shared


def test_removal_preview(admin: TestClient, editor: TestClient, world: World) -> None:
    source, project, layer, shared = _editor_owns(editor, admin, world)
    preview = admin.get(_members_url(world, world.editor.member_id) + "/deletion-preview")
    assert preview.status_code == 200
    body = preview.json()
    assert {r["id"] for r in body["soleOwned"]} == {source["id"], project["id"], layer["id"]}
    assert [r["id"] for r in body["coOwned"]] == [shared["id"]]
    assert body["dependents"] == []
    recipients = {m["id"] for m in body["eligibleRecipients"]}
    assert recipients == {world.admin.member_id, world.editor2.member_id}
    ref = next(r for r in body["soleOwned"] if r["id"] == layer["id"])
    assert ref == {"kind": "layers", "id": layer["id"], "name": "E layer"}


def test_removal_without_a_choice_is_refused_with_the_preview(
    admin: TestClient, editor: TestClient, world: World
) -> None:
    _editor_owns(editor, admin, world)
    preview = admin.get(_members_url(world, world.editor.member_id) + "/deletion-preview").json()
    refused = admin.delete(_members_url(world, world.editor.member_id))
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "resources_owned"
    for field in ("soleOwned", "coOwned", "dependents", "eligibleRecipients"):
        assert body[field] == preview[field]
    assert admin.get(_members_url(world, world.editor.member_id)).status_code == 200
    assert editor.get(_url(world, "projects")).json()["total"] == 2


def test_removal_with_transfer(admin: TestClient, editor: TestClient, world: World) -> None:
    source, project, layer, shared = _editor_owns(editor, admin, world)
    response = admin.delete(
        _members_url(world, world.editor.member_id), params={"transferTo": world.editor2.member_id}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["recipient"] == {
        "id": world.editor2.member_id,
        "name": world.editor2.name,
        "email": world.editor2.email,
        "role": "editor",
    }
    assert {r["id"] for r in body["transferred"]} == {source["id"], project["id"], layer["id"]}
    assert [r["id"] for r in body["released"]] == [shared["id"]]
    assert body["deleted"] == []
    for kind, item in (("datasources", source), ("projects", project), ("layers", layer)):
        owners = admin.get(_url(world, kind, str(item["id"]))).json()["owners"]
        assert [o["id"] for o in owners] == [world.editor2.member_id]
    owners = admin.get(_url(world, "projects", str(shared["id"]))).json()["owners"]
    assert [o["id"] for o in owners] == [world.editor2.member_id]
    assert admin.get(_members_url(world, world.editor.member_id)).status_code == 404
    with world.db.transaction() as s:
        assert s.get(Member, world.editor.member_id) is None
        assert s.get(Principal, world.editor.member_id) is None
        left = s.scalar(
            select(func.count())
            .select_from(Permission)
            .where(Permission.principal_id == world.editor.member_id)
        )
        assert left == 0
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "member.removed")).one()
        assert event.target_id == world.editor.member_id
        assert event.actor_id == world.admin.member_id
        assert event.details["transferred"]["count"] == 3
        assert event.details["recipient"]["id"] == world.editor2.member_id


def test_removal_deleting_resources(admin: TestClient, editor: TestClient, world: World) -> None:
    source, project, layer, shared = _editor_owns(editor, admin, world)
    response = admin.delete(
        _members_url(world, world.editor.member_id), params={"deleteResources": "true"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["recipient"] is None and body["transferred"] == []
    assert {r["id"] for r in body["deleted"]} == {source["id"], project["id"], layer["id"]}
    assert [r["id"] for r in body["released"]] == [shared["id"]]
    for kind, item in (("datasources", source), ("projects", project), ("layers", layer)):
        assert admin.get(_url(world, kind, str(item["id"]))).status_code == 404
    assert admin.get(_url(world, "projects", str(shared["id"]))).status_code == 200


@pytest.mark.parametrize(
    ("recipient", "message"),
    [("viewer", "viewer"), ("self", "being deleted"), ("globex", "not a member")],
)
def test_removal_refuses_ineligible_recipients(
    admin: TestClient, editor: TestClient, world: World, recipient: str, message: str
) -> None:
    _editor_owns(editor, admin, world)
    target = {
        "viewer": world.viewer.member_id,
        "self": world.editor.member_id,
        "globex": world.other.people["editor"].member_id,
    }[recipient]
    response = admin.delete(
        _members_url(world, world.editor.member_id), params={"transferTo": target}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "transferTo"
    assert message in response.json()["errors"][0]["message"]
    assert admin.get(_members_url(world, world.editor.member_id)).status_code == 200


def test_member_owning_nothing_is_removed_without_a_choice(admin: TestClient, world: World) -> None:
    response = admin.delete(_members_url(world, world.viewer.member_id))
    assert response.status_code == 200
    assert response.json() == {"recipient": None, "transferred": [], "released": [], "deleted": []}
    assert admin.delete(_members_url(world, world.viewer.member_id)).status_code == 404


def test_removed_member_loses_access_at_once(
    app, admin: TestClient, editor: TestClient, world: World
) -> None:
    assert editor.get(_url(world, "projects")).status_code == 200
    # The editor also belongs to globex; that membership is untouched.
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    with world.db.transaction() as s:
        user = orgs.find_user(s, world.editor.email)
        assert user is not None
        members.add(s, world.other.id, user, "viewer")
    assert admin.delete(_members_url(world, world.editor.member_id)).status_code == 200
    # The very same open session: acme is now as unknown to it as a missing organization.
    gone = editor.get(_url(world, "projects"))
    missing = editor.get(f"/api/v1/organizations/{uuid.uuid4()}/projects")
    assert gone.status_code == 404 and gone.json() == missing.json()
    assert editor.post(_url(world, "projects"), json={"name": "x"}).status_code == 404
    me = editor.get("/api/v1/auth/me").json()
    assert [m["organization"]["id"] for m in me["memberships"]] == [world.other.id]
    assert editor.get(f"/api/v1/organizations/{world.other.id}/projects").status_code == 200


def test_keys_created_by_a_removed_member_keep_their_creator(
    app, admin: TestClient, world: World
) -> None:
    # The editor becomes an administrator, creates a key, and is removed.
    admin.patch(
        _members_url(world, world.editor.member_id), json={"role": "administrator"}
    ).raise_for_status()
    promoted = login(TestClient(app), world.editor.email)
    expires = (clock.today() + timedelta(days=10)).isoformat()
    created = promoted.post(
        f"/api/v1/organizations/{world.org.id}/api-keys",
        json={"title": "Orphan", "expirationDate": expires, "role": "editor"},
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert admin.delete(_members_url(world, world.editor.member_id)).status_code == 200
    kept = admin.get(f"/api/v1/organizations/{world.org.id}/api-keys/{key['id']}").json()
    assert kept["createdBy"]["name"] == world.editor.name
    assert kept["createdBy"]["email"] == world.editor.email
    listed = admin.get(
        f"/api/v1/organizations/{world.org.id}/api-keys",
        params={"filter": f"createdBy:equals:{world.editor.email}"},
    ).json()
    assert [k["id"] for k in listed["items"]] == [key["id"]]
    # The key still works.
    assert key_client(app, key["secret"]).get(_url(world, "projects")).status_code == 200


def test_last_administrator_cannot_be_removed(admin: TestClient, world: World) -> None:
    response = admin.delete(_members_url(world, world.admin.member_id))
    assert response.status_code == 409
    assert response.json()["code"] == "last_administrator"
    response = admin.delete(
        _members_url(world, world.admin.member_id), params={"deleteResources": "true"}
    )
    assert response.status_code == 409
    assert admin.get(_members_url(world)).status_code == 200


def test_an_administrator_may_remove_another(app, admin: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    admin.patch(
        _members_url(world, world.editor2.member_id), json={"role": "administrator"}
    ).raise_for_status()
    other = login(TestClient(app), world.editor2.email)
    assert other.delete(_members_url(world, world.admin.member_id)).status_code == 200
    assert admin.get(_members_url(world)).status_code == 404
    # Now editor2 is the last one.
    last = other.delete(_members_url(world, world.editor2.member_id))
    assert last.status_code == 409 and last.json()["code"] == "last_administrator"


# --- who may call ---------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["editor", "viewer", "key", "globex admin", "nobody"])
def test_only_administrators_manage_members(app, world: World, caller: str) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    expected = {"editor": 403, "viewer": 403, "key": 403, "globex admin": 404, "nobody": 401}
    if caller in ("editor", "viewer"):
        login(client, world.org.people[caller].email)
    elif caller == "key":
        client = key_client(app, make_key(world)[1])
    elif caller == "globex admin":
        login(client, world.other.people["admin"].email)
    target = world.viewer.member_id
    calls = [
        ("GET", _members_url(world)),
        ("GET", _members_url(world, target)),
        ("PATCH", _members_url(world, target)),
        ("GET", _members_url(world, target) + "/deletion-preview"),
        ("DELETE", _members_url(world, target)),
    ]
    for method, url in calls:
        body = {"role": "editor"} if method == "PATCH" else None
        response = client.request(method, url, json=body)
        assert response.status_code == expected[caller], (method, url, response.text)
    with world.db.transaction() as s:
        member = s.get(Member, target)
        assert member is not None and member.role == "viewer"


def test_another_organizations_member_answers_like_a_missing_one(
    admin: TestClient, world: World
) -> None:
    theirs = world.other.people["editor"].member_id
    missing = str(uuid.uuid4())
    for method, suffix, body in (
        ("GET", "", None),
        ("PATCH", "", {"role": "viewer"}),
        ("GET", "/deletion-preview", None),
        ("DELETE", "", None),
    ):
        a = admin.request(method, _members_url(world, theirs) + suffix, json=body)
        b = admin.request(method, _members_url(world, missing) + suffix, json=body)
        assert a.status_code == 404 and a.json() == b.json()
    with world.db.transaction() as s:
        member = s.get(Member, theirs)
        assert member is not None and member.role == "editor"
