"""A failure anywhere inside a deletion leaves nothing half-done.

A key or a member that solely owns a small tree (a data source, a project, a layer reading
both), co-owns a project and can view one more is deleted (or removed) with a transfer or
with `deleteResources`, and a fault is injected at each step of the way: half-way through
the transfer itself, after the transfer or the deletion of the resources, when the entries
are dropped, and at the very end (the audit event). Every time the answer is a bare 500,
the database is exactly as it was, the principal still works, and the same request
succeeds once the fault is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from keyhouse.api_keys import service as keys_service
from keyhouse.members import service as members_service
from keyhouse.models import ApiKey, AuditEvent, Member, Permission, Principal, Resource
from keyhouse.organizations import service as orgs
from keyhouse.resources import ownership
from tests.factories import PASSWORD, World, create_resource, key_client, login, make_key


class Fault(RuntimeError):
    pass


SECRET_MESSAGE = "disk on fire at sector 7"


def _explode(*_args: object, **_kwargs: object) -> Any:
    raise Fault(SECRET_MESSAGE)


def _after(real: Callable[..., Any]) -> Callable[..., Any]:
    """The real step, then the fault: the step's writes are in the transaction."""

    def step(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Fault(SECRET_MESSAGE)

    return step


# fault name -> how to inject it
FAULTS: dict[str, Callable[[pytest.MonkeyPatch, str], None]] = {
    # Transfer: the recipient's existing entries are already raised to owner when the
    # insert of its new owner entries fails.
    "half-way through the transfer": lambda mp, _: mp.setattr(ownership, "insert", _explode),
    "after the transfer": lambda mp, _: mp.setattr(
        ownership, "transfer_sole_owned", _after(ownership.transfer_sole_owned)
    ),
    "after deleting the resources": lambda mp, _: mp.setattr(
        ownership, "delete_sole_owned", _after(ownership.delete_sole_owned)
    ),
    "when dropping the entries": lambda mp, _: mp.setattr(ownership, "drop_entries", _explode),
    "at the audit event": lambda mp, who: mp.setattr(
        (keys_service if who == "key" else members_service).audit, "record", _explode
    ),
}
CASES = [
    ("transfer", "half-way through the transfer"),
    ("transfer", "after the transfer"),
    ("transfer", "when dropping the entries"),
    ("transfer", "at the audit event"),
    ("deleteResources", "after deleting the resources"),
    ("deleteResources", "when dropping the entries"),
    ("deleteResources", "at the audit event"),
]


def snapshot(world: World) -> dict[str, Any]:
    """Everything a deletion can touch."""
    with world.db.transaction(write=False) as s:
        return {
            "resources": set(
                s.execute(
                    select(
                        Resource.id,
                        Resource.kind,
                        Resource.name,
                        Resource.project_id,
                        Resource.data_source_id,
                    )
                ).all()
            ),
            "permissions": set(
                s.execute(
                    select(Permission.resource_id, Permission.principal_id, Permission.level)
                ).all()
            ),
            "principals": set(s.execute(select(Principal.id, Principal.kind)).all()),
            "members": set(s.execute(select(Member.id, Member.role)).all()),
            "keys": set(s.execute(select(ApiKey.id, ApiKey.title, ApiKey.role)).all()),
            "audit": set(s.execute(select(AuditEvent.id, AuditEvent.action)).all()),
        }


@dataclass
class Doomed:
    """The principal about to go, its client, and what it owns."""

    kind: str
    id: str
    client: TestClient
    url: str
    sole: set[str]


def _doomed(app: Any, world: World, who: str) -> Doomed:
    org = world.org.id
    if who == "key":
        key_id, secret = make_key(world, title="Doomed key")
        client = key_client(app, secret)
        principal_id = key_id
        url = f"/api/v1/organizations/{org}/api-keys/{key_id}"
    else:
        with world.db.transaction() as s:
            user = orgs.create_user(s, "doomed@acme.test", "Doomed member", PASSWORD)
            principal_id = members_service.add(s, org, user, "editor").id
        client = login(TestClient(app), "doomed@acme.test")
        url = f"/api/v1/organizations/{org}/members/{principal_id}"
    source = create_resource(client, org, "datasources", "Source")
    project = create_resource(client, org, "projects", "Project")
    layer = create_resource(
        client, org, "layers", "Layer", project=project["id"], source=source["id"]
    )
    shared = create_resource(client, org, "projects", "Shared")
    admin = login(TestClient(app), world.admin.email)
    viewable = create_resource(admin, org, "projects", "Viewable")
    grants = [
        # The recipient can already view the source: a transfer raises that entry.
        (source, [(principal_id, "owner"), (world.editor.member_id, "view")]),
        (shared, [(principal_id, "owner"), (world.editor2.member_id, "owner")]),
        (viewable, [(world.admin.member_id, "owner"), (principal_id, "view")]),
    ]
    for resource, entries in grants:
        admin.put(
            f"/api/v1/organizations/{org}/{resource['kind']}/{resource['id']}/permissions",
            json={"entries": [{"principalId": p, "permission": lvl} for p, lvl in entries]},
        ).raise_for_status()
    sole = {str(r["id"]) for r in (source, project, layer)}
    return Doomed(who, principal_id, client, url, sole)


@pytest.mark.parametrize("who", ["key", "member"])
@pytest.mark.parametrize(("choice", "fault"), CASES)
def test_a_fault_rolls_the_whole_deletion_back(
    app: Any, world: World, who: str, choice: str, fault: str
) -> None:
    doomed = _doomed(app, world, who)
    admin = login(TestClient(app, raise_server_exceptions=False), world.admin.email)
    params = (
        {"transferTo": world.editor.member_id}
        if choice == "transfer"
        else {"deleteResources": "true"}
    )
    before = snapshot(world)
    with pytest.MonkeyPatch.context() as mp:
        FAULTS[fault](mp, who)
        failed = admin.delete(doomed.url, params=params)
    assert failed.status_code == 500
    assert failed.json()["code"] == "internal_error"
    assert SECRET_MESSAGE not in failed.text
    assert snapshot(world) == before
    # The principal still works, and still sees what it owned.
    projects = doomed.client.get(f"/api/v1/organizations/{world.org.id}/projects")
    assert projects.status_code == 200
    assert {p["name"] for p in projects.json()["items"]} == {"Project", "Shared", "Viewable"}

    # Nothing is stuck: the same request succeeds once the fault is gone.
    done = admin.delete(doomed.url, params=params)
    assert done.status_code == 200, done.text
    body = done.json()
    if choice == "transfer":
        assert {r["id"] for r in body["transferred"]} == doomed.sole
    else:
        assert {r["id"] for r in body["deleted"]} == doomed.sole
    assert [r["name"] for r in body["released"]] == ["Shared"]
    after = snapshot(world)
    assert not any(p == doomed.id for _, p, _ in after["permissions"])
    assert doomed.id not in {principal for principal, _ in after["principals"]}
