"""Schemathesis over the OpenAPI document: no 5xx, only documented statuses, conforming bodies.

The schema is read in-process from the ASGI app; every operation then runs against a fresh
world on each engine, once as an administrator's portal session (cookie + CSRF header) and
once with an editor API key. Path ids are steered onto objects that exist (or, for a share
of the examples, left as generated) so the calls reach real code, not just 404s.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from keyhouse.app import create_app
from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.core.db import Database
from tests.factories import World, create_resource, key_client, login, make_key


def _schema_app() -> Any:
    # Only serves the OpenAPI document (no database work): tests call their own app.
    return create_app(Settings(secret_key="schema-only"), Database("sqlite://"))


SCHEMA = schemathesis.openapi.from_asgi("/api/v1/openapi.json", _schema_app())

EXAMPLES = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error is RFC 9457 problem JSON whose `status` matches and that names a `code`."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), content_type
    body = response.json()
    assert body["status"] == response.status_code, body
    assert isinstance(body.get("code"), str) and body["code"], body
    assert isinstance(body.get("title"), str) and isinstance(body.get("detail"), str), body
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    problem_json,
]


@dataclass
class Target:
    """The app under test and the ids worth aiming generated path parameters at."""

    app: Any
    org_id: str
    ids: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def aim(self, case: Any) -> None:
        params = case.path_parameters or {}
        for name, value in list(params.items()):
            pool = [self.org_id] if name == "orgId" else self.ids.get(name, [])
            if not pool:
                continue
            # Deterministic in the generated value: one example in eight keeps it as is.
            digest = zlib.crc32(repr(value).encode())
            if digest % 8:
                params[name] = pool[(digest >> 3) % len(pool)]

    def steer_body(self, case: Any) -> None:
        """Half of the generated bodies get a usable date or principal, so writes succeed."""
        body = case.body
        if not isinstance(body, dict) or zlib.crc32(repr(body).encode()) % 2:
            return
        if isinstance(body.get("expirationDate"), str):
            body["expirationDate"] = (clock.today() + timedelta(days=30)).isoformat()
        entries = body.get("entries")
        principals = self.ids.get("memberId", []) + self.ids.get("keyId", [])
        if isinstance(entries, list) and principals:
            for index, entry in enumerate(entries):
                if isinstance(entry, dict) and "principalId" in entry:
                    entry["principalId"] = principals[index % len(principals)]

    def call(self, case: Any) -> None:
        self.aim(case)
        self.steer_body(case)
        case.call_and_validate(
            app=self.app, headers=dict(self.headers), cookies=dict(self.cookies), checks=CHECKS
        )


def _populate(app: Any, world: World) -> dict[str, list[str]]:
    """Keys, resources of every kind and members to aim at."""
    org = world.org.id
    key_ids = []
    for title, role in (("Editor one", "editor"), ("Viewer one", "viewer"), ("Spare", "editor")):
        key_ids.append(make_key(world, title=title, role=role)[0])
    owner_id, owner_secret = make_key(world, title="Owner", role="editor")
    key_ids.append(owner_id)
    kc = key_client(app, owner_secret)
    source = create_resource(kc, org, "datasources", "Source")
    project = create_resource(kc, org, "projects", "Project")
    layer = create_resource(kc, org, "layers", "Layer", project=project["id"], source=source["id"])
    table = create_resource(kc, org, "tables", "Table", project=project["id"], source=source["id"])
    members = [world.editor.member_id, world.editor2.member_id, world.viewer.member_id]
    return {
        "keyId": key_ids,
        "memberId": members,
        "resourceId": [str(r["id"]) for r in (source, project, layer, table)],
    }


@pytest.fixture
def as_admin(app: Any, world: World) -> Target:
    ids = _populate(app, world)
    with TestClient(app) as c:
        login(c, world.admin.email)
        cookies = dict(c.cookies)
        headers = {"X-CSRF-Token": cookies["kh_csrf"]}
    # The administrator's own membership stays out of reach: demoting or removing it would
    # only turn the rest of the run into 403s.
    return Target(app, world.org.id, ids, headers=headers, cookies=cookies)


@pytest.fixture
def as_editor_key(app: Any, world: World) -> Target:
    ids = _populate(app, world)
    key_id, secret = make_key(world, title="Schemathesis", role="editor")
    kc = key_client(app, secret)
    own = create_resource(kc, world.org.id, "projects", "Key's own project")
    ids["resourceId"].append(str(own["id"]))
    ids["keyId"].append(key_id)
    return Target(app, world.org.id, ids, headers={"Api-Key": secret})


@SCHEMA.parametrize()
@EXAMPLES
def test_conforms_as_administrator_session(case: Any, as_admin: Target) -> None:
    as_admin.call(case)


@SCHEMA.parametrize()
@EXAMPLES
def test_conforms_as_editor_key(case: Any, as_editor_key: Target) -> None:
    as_editor_key.call(case)
