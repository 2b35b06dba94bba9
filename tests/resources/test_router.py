"""Resources: creation per kind, roles and permission levels, visibility, cascades, permissions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from keyhouse.models import Permission, Resource
from tests.factories import World, create_resource, key_client, login, make_key

KINDS = ["datasources", "projects", "layers", "tables"]


def _url(world: World, kind: str, item_id: str = "", org_id: str | None = None) -> str:
    base = f"/api/v1/organizations/{org_id or world.org.id}/{kind}"
    return f"{base}/{item_id}" if item_id else base


def _entries(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"entries": [{"principalId": p, "permission": level} for p, level in pairs]}


@pytest.fixture
def admin(client: TestClient, world: World) -> TestClient:
    return login(client, world.admin.email)


@pytest.fixture
def editor(app, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(TestClient(app), world.editor.email)


@pytest.fixture
def editor2(app, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(TestClient(app), world.editor2.email)


@pytest.fixture
def viewer(app, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(TestClient(app), world.viewer.email)


def _parents(client: TestClient, world: World) -> tuple[str, str]:
    source = create_resource(client, world.org.id, "datasources", "Source")
    project = create_resource(client, world.org.id, "projects", "Project")
    return str(project["id"]), str(source["id"])


# --- creation -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("by", ["member", "key"])
def test_create_each_kind(app, editor: TestClient, world: World, kind: str, by: str) -> None:  # type: ignore[no-untyped-def]
    client = editor
    owner = {
        "id": world.editor.member_id,
        "type": "member",
        "name": world.editor.name,
        "email": world.editor.email,
    }
    if by == "key":
        key_id, secret = make_key(world, title="Builder")
        client = key_client(app, secret)
        owner = {
            "id": key_id,
            "type": "apiKey",
            "name": "Builder",
            "email": f"api-key-{key_id}@keys.test",
        }
    body: dict[str, Any] = {"name": f"My {kind}", "description": "About it"}
    if kind in ("layers", "tables"):
        body["projectId"], body["dataSourceId"] = _parents(client, world)
    response = client.post(_url(world, kind), json=body)
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["kind"] == kind and item["name"] == f"My {kind}"
    assert item["description"] == "About it"
    assert item["owners"] == [owner]
    assert item["creationDate"]
    if kind in ("layers", "tables"):
        assert (item["projectId"], item["dataSourceId"]) == (
            body["projectId"],
            body["dataSourceId"],
        )
    else:
        assert item.get("projectId") is None and item.get("dataSourceId") is None
    assert client.get(_url(world, kind, item["id"])).json() == item
    # The same id under another kind is not found.
    other_kind = "projects" if kind != "projects" else "datasources"
    assert client.get(_url(world, other_kind, item["id"])).status_code == 404


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("layers", {"name": "L"}, "projectId"),
        ("tables", {"name": "T", "projectId": "{project}"}, "dataSourceId"),
        ("layers", {"name": "L", "dataSourceId": "{source}"}, "projectId"),
        ("layers", {"name": "L", "projectId": "{random}", "dataSourceId": "{source}"}, "projectId"),
        (
            "tables",
            {"name": "T", "projectId": "{project}", "dataSourceId": "{random}"},
            "dataSourceId",
        ),
        # The parents must be of the right kind.
        (
            "layers",
            {"name": "L", "projectId": "{source}", "dataSourceId": "{source}"},
            "projectId",
        ),
        (
            "layers",
            {"name": "L", "projectId": "{project}", "dataSourceId": "{project}"},
            "dataSourceId",
        ),
        ("datasources", {"name": "D", "projectId": "{project}"}, "projectId"),
        ("projects", {"name": "P", "dataSourceId": "{source}"}, "dataSourceId"),
        ("projects", {"name": ""}, "name"),
        ("projects", {"name": "   "}, "name"),
        ("projects", {"name": "x" * 201}, "name"),
        ("projects", {"name": "a\u202eb"}, "name"),
        ("projects", {}, "name"),
        ("projects", {"name": "P", "description": "d" * 2001}, "description"),
        ("projects", {"name": "P", "owner": "me"}, "owner"),
        ("projects", {"name": "P", "id": "{random}"}, "id"),
    ],
)
def test_create_validation(
    editor: TestClient, world: World, kind: str, body: dict[str, str], field: str
) -> None:
    project, source = _parents(editor, world)
    ids = {"project": project, "source": source, "random": str(uuid.uuid4())}
    body = {k: v.format(**ids) for k, v in body.items()}
    response = editor.post(_url(world, kind), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_failed"
    assert response.json()["errors"][0]["field"] == field
    with world.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Resource)) == 2


def test_parent_of_another_organization_is_unknown(app, editor: TestClient, world: World) -> None:
    _, theirs = make_key(world, org=world.other, title="Theirs")
    tc = key_client(app, theirs)
    their_project = create_resource(tc, world.other.id, "projects", "Their project")
    _, source = _parents(editor, world)
    response = editor.post(
        _url(world, "layers"),
        json={"name": "L", "projectId": their_project["id"], "dataSourceId": source},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "projectId"


@pytest.mark.parametrize("kind", ["layers", "tables"])
def test_dependent_needs_modify_on_project_and_view_on_source(
    admin: TestClient, editor: TestClient, world: World, kind: str
) -> None:
    project, source = _parents(admin, world)
    body = {"name": "Child", "projectId": project, "dataSourceId": source}

    def grant(kind_: str, item: str, level: str | None) -> None:
        pairs = [(world.admin.member_id, "owner")]
        if level:
            pairs.append((world.editor.member_id, level))
        admin.put(
            _url(world, kind_, item) + "/permissions", json=_entries(*pairs)
        ).raise_for_status()

    # Invisible parents are unknown (422); visible ones without enough permission: 403.
    response = editor.post(_url(world, kind), json=body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "projectId"
    grant("projects", project, "view")
    grant("datasources", source, "view")
    response = editor.post(_url(world, kind), json=body)
    assert response.status_code == 403 and "modify" in response.json()["detail"]
    grant("projects", project, "modify")
    grant("datasources", source, None)
    response = editor.post(_url(world, kind), json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "dataSourceId"
    grant("datasources", source, "view")
    response = editor.post(_url(world, kind), json=body)
    assert response.status_code == 201, response.text
    assert [o["id"] for o in response.json()["owners"]] == [world.editor.member_id]


# --- viewers cannot write -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer member", "viewer key"])
def test_viewer_writes_are_forbidden(
    app, admin: TestClient, viewer: TestClient, world: World, who: str
) -> None:
    project = create_resource(admin, world.org.id, "projects", "Shared")
    pid = str(project["id"])
    client = viewer
    principal = world.viewer.member_id
    if who == "viewer key":
        principal, secret = make_key(world, role="viewer", title="Reader")
        client = key_client(app, secret)
    # Even holding a view entry, a viewer only reads.
    admin.put(
        _url(world, "projects", pid) + "/permissions",
        json=_entries((world.admin.member_id, "owner"), (principal, "view")),
    ).raise_for_status()
    assert client.get(_url(world, "projects", pid)).status_code == 200
    assert client.get(_url(world, "projects", pid) + "/permissions").status_code == 200
    calls = [
        ("POST", _url(world, "projects"), {"name": "Nope"}),
        ("POST", _url(world, "datasources"), {"name": "Nope"}),
        ("PATCH", _url(world, "projects", pid), {"name": "Renamed"}),
        ("DELETE", _url(world, "projects", pid), None),
        (
            "PUT",
            _url(world, "projects", pid) + "/permissions",
            _entries((principal, "owner")),
        ),
    ]
    for method, url, body in calls:
        response = client.request(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["code"] == "forbidden"
    got = admin.get(_url(world, "projects", pid)).json()
    assert got["name"] == "Shared"
    assert [o["id"] for o in got["owners"]] == [world.admin.member_id]
    assert admin.get(_url(world, "projects")).json()["total"] == 1


# --- visibility -----------------------------------------------------------------------------


def test_visibility_follows_permissions(
    admin: TestClient, editor: TestClient, editor2: TestClient, world: World
) -> None:
    mine = create_resource(editor, world.org.id, "projects", "Mine")
    theirs = create_resource(editor2, world.org.id, "projects", "Theirs")
    shared = create_resource(editor2, world.org.id, "projects", "Shared with me")
    editor2.put(
        _url(world, "projects", str(shared["id"])) + "/permissions",
        json=_entries((world.editor2.member_id, "owner"), (world.editor.member_id, "view")),
    ).raise_for_status()

    listed = editor.get(_url(world, "projects")).json()
    assert {p["name"] for p in listed["items"]} == {"Mine", "Shared with me"}
    assert listed["total"] == 2
    hidden = editor.get(_url(world, "projects", str(theirs["id"])))
    missing = editor.get(_url(world, "projects", str(uuid.uuid4())))
    assert hidden.status_code == 404 and hidden.json() == missing.json()
    for method, suffix, body in (
        ("PATCH", "", {"name": "x"}),
        ("DELETE", "", None),
        ("GET", "/permissions", None),
        ("PUT", "/permissions", _entries((world.editor.member_id, "owner"))),
    ):
        response = editor.request(
            method, _url(world, "projects", str(theirs["id"])) + suffix, json=body
        )
        assert response.status_code == 404, (method, suffix)

    # Administrators see and manage everything of their organization.
    all_names = {p["name"] for p in admin.get(_url(world, "projects")).json()["items"]}
    assert all_names == {"Mine", "Theirs", "Shared with me"}
    assert admin.get(_url(world, "projects", str(mine["id"]))).status_code == 200
    renamed = admin.patch(_url(world, "projects", str(theirs["id"])), json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"


def test_list_grammar_on_resources(editor: TestClient, world: World) -> None:
    for name in ("Roads", "Rivers", "Parcels"):
        create_resource(editor, world.org.id, "datasources", name)
    page = editor.get(
        _url(world, "datasources"), params={"filter": "name:startsWith:r", "sort": "name"}
    ).json()
    assert [p["name"] for p in page["items"]] == ["Rivers", "Roads"] and page["total"] == 2
    page = editor.get(_url(world, "datasources"), params={"sort": "-name", "limit": 1}).json()
    assert [p["name"] for p in page["items"]] == ["Roads"] and page["total"] == 3
    bad = editor.get(_url(world, "datasources"), params={"filter": "owner:is:me"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_query"


def test_unknown_kind_is_not_found(editor: TestClient, world: World) -> None:
    assert editor.get(_url(world, "widgets")).status_code == 404
    assert editor.post(_url(world, "widgets"), json={"name": "x"}).status_code in (404, 405, 422)


# --- change and delete ----------------------------------------------------------------------


def test_patch_needs_modify(admin: TestClient, editor: TestClient, world: World) -> None:
    project = create_resource(admin, world.org.id, "projects", "Original")
    pid = str(project["id"])
    url = _url(world, "projects", pid)
    admin.put(
        url + "/permissions",
        json=_entries((world.admin.member_id, "owner"), (world.editor.member_id, "view")),
    ).raise_for_status()
    refused = editor.patch(url, json={"name": "Mine now"})
    assert refused.status_code == 403 and "modify" in refused.json()["detail"]
    admin.put(
        url + "/permissions",
        json=_entries((world.admin.member_id, "owner"), (world.editor.member_id, "modify")),
    ).raise_for_status()
    changed = editor.patch(url, json={"name": "  Renamed  ", "description": "New"})
    assert changed.status_code == 200
    assert changed.json()["name"] == "Renamed" and changed.json()["description"] == "New"
    # Partial update keeps the rest.
    only_description = editor.patch(url, json={"description": ""}).json()
    assert only_description["name"] == "Renamed" and only_description["description"] == ""
    invalid = editor.patch(url, json={"name": ""})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "name"
    extra = editor.patch(url, json={"projectId": pid})
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "projectId"
    # modify is not owner: no deleting, no permission changes.
    assert editor.delete(url).status_code == 403
    put = editor.put(url + "/permissions", json=_entries((world.editor.member_id, "owner")))
    assert put.status_code == 403


def test_delete_needs_owner_and_cascades(
    admin: TestClient, editor: TestClient, world: World
) -> None:
    project, source = _parents(editor, world)
    body = {"projectId": project, "dataSourceId": source}
    layer = editor.post(_url(world, "layers"), json={"name": "L", **body}).json()
    table = editor.post(_url(world, "tables"), json={"name": "T", **body}).json()
    other_project = create_resource(editor, world.org.id, "projects", "Other")
    other_layer = editor.post(
        _url(world, "layers"),
        json={"name": "L2", "projectId": other_project["id"], "dataSourceId": source},
    ).json()

    response = editor.delete(_url(world, "projects", project))
    assert response.status_code == 204 and response.content == b""
    for kind, item in (("projects", project), ("layers", layer["id"]), ("tables", table["id"])):
        assert editor.get(_url(world, kind, item)).status_code == 404
    assert editor.get(_url(world, "layers", other_layer["id"])).status_code == 200

    # Deleting the source takes the layer of the other project with it.
    assert editor.delete(_url(world, "datasources", source)).status_code == 204
    assert editor.get(_url(world, "layers", other_layer["id"])).status_code == 404
    assert editor.get(_url(world, "projects", str(other_project["id"]))).status_code == 200
    with world.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Resource)) == 1
        # No permission entries are left pointing at deleted resources.
        assert s.scalar(select(func.count()).select_from(Permission)) == 1
    events = admin.get(
        f"/api/v1/organizations/{world.org.id}/audit-events",
        params={"filter": "action:equals:resource.deleted"},
    ).json()
    counts = {e["targetId"]: e["details"]["dependentsDeleted"] for e in events["items"]}
    assert counts == {project: 2, source: 1}
    assert editor.delete(_url(world, "datasources", source)).status_code == 404


# --- permissions ----------------------------------------------------------------------------


def test_permissions_get_and_put(app, editor: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    key_id, secret = make_key(world, title="Robot", role="viewer")
    project = create_resource(editor, world.org.id, "projects", "P")
    url = _url(world, "projects", str(project["id"])) + "/permissions"
    assert editor.get(url).json() == {
        "entries": [
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
    }
    response = editor.put(
        url,
        json=_entries(
            (world.editor.member_id, "owner"),
            (world.editor2.member_id, "owner"),
            (world.viewer.member_id, "view"),
            (key_id, "view"),
        ),
    )
    assert response.status_code == 200, response.text
    entries = response.json()["entries"]
    assert [(e["principal"]["id"], e["permission"]) for e in entries][:2] == [
        (world.editor.member_id, "owner"),
        (world.editor2.member_id, "owner"),
    ]
    assert {(e["principal"]["id"], e["permission"]) for e in entries[2:]} == {
        (world.viewer.member_id, "view"),
        (key_id, "view"),
    }
    robot = next(e["principal"] for e in entries if e["principal"]["id"] == key_id)
    assert robot == {
        "id": key_id,
        "type": "apiKey",
        "name": "Robot",
        "email": f"api-key-{key_id}@keys.test",
    }
    assert editor.get(url).json()["entries"] == entries
    owners = editor.get(_url(world, "projects", str(project["id"]))).json()["owners"]
    assert {o["id"] for o in owners} == {world.editor.member_id, world.editor2.member_id}
    # The viewer key now sees it.
    assert key_client(app, secret).get(_url(world, "projects")).json()["total"] == 1
    # An owner may hand over completely, and then has no say any more.
    handed = editor.put(url, json=_entries((world.editor2.member_id, "owner")))
    assert handed.status_code == 200
    assert editor.get(url).status_code == 404


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([], "entries"),
        ([("editor", "modify")], "entries"),
        ([("editor", "view"), ("editor2", "view")], "entries"),
        ([("editor", "owner"), ("viewer", "modify")], "entries[1].permission"),
        ([("editor", "owner"), ("viewer", "owner")], "entries[1].permission"),
        ([("editor", "owner"), ("viewer key", "modify")], "entries[1].permission"),
        ([("editor", "owner"), ("nobody", "view")], "entries[1].principalId"),
        ([("editor", "owner"), ("globex editor", "view")], "entries[1].principalId"),
        ([("globex editor", "owner")], "entries[0].principalId"),
        ([("editor", "owner"), ("editor", "view")], "entries[1].principalId"),
        ([("editor", "owner"), ("editor", "owner")], "entries[1].principalId"),
        ([("editor", "admin")], "entries[0].permission"),
    ],
)
def test_permission_rules(
    editor: TestClient, world: World, entries: list[tuple[str, str]], field: str
) -> None:
    viewer_key, _ = make_key(world, title="Viewer key", role="viewer")
    principals = {
        "editor": world.editor.member_id,
        "editor2": world.editor2.member_id,
        "viewer": world.viewer.member_id,
        "viewer key": viewer_key,
        "nobody": str(uuid.uuid4()),
        "globex editor": world.other.people["editor"].member_id,
    }
    project = create_resource(editor, world.org.id, "projects", "P")
    url = _url(world, "projects", str(project["id"])) + "/permissions"
    before = editor.get(url).json()
    response = editor.put(url, json=_entries(*((principals[p], lvl) for p, lvl in entries)))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert editor.get(url).json() == before


def test_permissions_put_by_administrator_and_audit(
    admin: TestClient, editor: TestClient, world: World
) -> None:
    project = create_resource(editor, world.org.id, "projects", "P")
    url = _url(world, "projects", str(project["id"])) + "/permissions"
    response = admin.put(url, json=_entries((world.editor2.member_id, "owner")))
    assert response.status_code == 200
    assert editor.get(url).status_code == 404
    events = admin.get(
        f"/api/v1/organizations/{world.org.id}/audit-events",
        params={"filter": "action:equals:resource.permissions_changed"},
    ).json()["items"]
    assert len(events) == 1
    assert events[0]["details"]["ownersBefore"] == [world.editor.member_id]
    assert events[0]["details"]["ownersAfter"] == [world.editor2.member_id]


# --- other organizations --------------------------------------------------------------------


def test_another_organizations_resources_are_missing(app, editor: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    _, theirs = make_key(world, org=world.other, title="Theirs")
    tc = key_client(app, theirs)
    their_project = create_resource(tc, world.other.id, "projects", "Secret project")
    pid = str(their_project["id"])
    missing = str(uuid.uuid4())
    # Addressed through acme, their resource is simply not there.
    admin = login(TestClient(app), world.admin.email)
    for client in (editor, admin):
        for method, suffix, body in (
            ("GET", "", None),
            ("PATCH", "", {"name": "x"}),
            ("DELETE", "", None),
            ("GET", "/permissions", None),
            ("PUT", "/permissions", _entries((world.editor.member_id, "owner"))),
        ):
            a = client.request(method, _url(world, "projects", pid) + suffix, json=body)
            b = client.request(method, _url(world, "projects", missing) + suffix, json=body)
            assert a.status_code == 404 and a.json() == b.json(), (method, suffix)
        assert "Secret project" not in client.get(_url(world, "projects")).text
        # Through globex's own path, acme's members are not members.
        denied = client.get(_url(world, "projects", pid, org_id=world.other.id))
        assert denied.status_code == 404
    got = tc.get(_url(world, "projects", pid, org_id=world.other.id)).json()
    assert got["name"] == "Secret project"
