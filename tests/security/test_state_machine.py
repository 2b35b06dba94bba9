"""A stateful model of the HTTP API: random sequences of key, resource, permission and member
operations, with the database itself as the oracle.

Before each request the expected answer is worked out from the rows it depends on (roles,
permission levels, who solely owns what); after every step the invariants are checked
directly in the database and, for credentials, over HTTP:

- every resource has at least one owner;
- every permission entry names a live member or key of the resource's own organization;
- only editor or administrator principals hold `modify` or `owner`;
- a deleted or expired key authenticates nothing; a removed member's session reaches nothing;
- every page of the key list, and its total, is what counting afresh gives (the API
  remembers run sizes per keys_version: a change that left the number alone would show).

Each run builds its own organization (plus an outsider organization) in the test's database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from keyhouse.api_keys import service as keys_service
from keyhouse.app import create_app
from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.core.db import Database
from keyhouse.core.listing import parse_list_query
from keyhouse.models import (
    MODIFY,
    OWNER,
    PERMISSION_LEVELS,
    ApiKey,
    Member,
    Permission,
    Principal,
    Resource,
)
from tests.factories import key_page_counted_afresh, login, make_org

STEPS = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)
PEOPLE = {
    "admin": "administrator",
    "admin2": "administrator",
    "editor": "editor",
    "editor2": "editor",
    "viewer": "viewer",
}
# The acting administrator is never re-roled or removed: it drives the run.
TARGETS = ["admin2", "editor", "editor2", "viewer"]
KINDS = ["datasources", "projects", "layers", "tables"]
LEVELS = ["view", "modify", "owner"]
ROLES = ["administrator", "editor", "viewer"]
# Key lists the invariant reads: one run, status segments, nulls then values, filters.
KEY_LISTS = [
    ("-creationDate", ["title:contains:1"]),
    ("-status", []),
    ("lastUsedDate", []),
    ("title", ["status:is:expiring"]),
]


@dataclass
class Key:
    id: str
    secret: str = field(repr=False)
    role: str
    client: TestClient = field(repr=False)
    deleted: bool = False


def _invariant_violations(db: Database, orgs: list[str]) -> list[str]:
    """Every rule about permission entries the database must keep, in these organizations.

    (Scoped to one run's organizations: earlier runs share the database.)
    """
    problems: list[str] = []
    mine = Permission.organization_id.in_(orgs) | Resource.organization_id.in_(orgs)
    with db.transaction(write=False) as s:
        ownerless = s.scalars(
            select(Resource.id).where(
                Resource.organization_id.in_(orgs),
                ~select(Permission.resource_id)
                .where(Permission.resource_id == Resource.id, Permission.level == OWNER)
                .exists(),
            )
        ).all()
        if ownerless:
            problems.append(f"resources without an owner: {ownerless}")
        dangling = s.execute(
            select(Permission.resource_id, Permission.principal_id)
            .outerjoin(Principal, Principal.id == Permission.principal_id)
            .outerjoin(Member, Member.id == Permission.principal_id)
            .outerjoin(ApiKey, ApiKey.id == Permission.principal_id)
            .where(
                Permission.organization_id.in_(orgs),
                (Principal.id.is_(None)) | (Member.id.is_(None) & ApiKey.id.is_(None)),
            )
        ).all()
        if dangling:
            problems.append(f"entries naming a missing principal: {dangling}")
        crossing = s.execute(
            select(Permission.resource_id, Permission.principal_id)
            .join(Resource, Resource.id == Permission.resource_id)
            .join(Principal, Principal.id == Permission.principal_id)
            .where(
                mine,
                (Permission.organization_id != Resource.organization_id)
                | (Principal.organization_id != Resource.organization_id),
            )
        ).all()
        if crossing:
            problems.append(f"entries crossing organizations: {crossing}")
        parent = aliased(Resource)
        crossing_parents = s.scalars(
            select(Resource.id)
            .join(
                parent,
                (parent.id == Resource.project_id) | (parent.id == Resource.data_source_id),
            )
            .where(
                Resource.organization_id.in_(orgs),
                parent.organization_id != Resource.organization_id,
            )
        ).all()
        if crossing_parents:
            problems.append(f"resources with a parent in another organization: {crossing_parents}")
        viewers_holding = s.execute(
            select(Permission.resource_id, Permission.principal_id, Permission.level)
            .outerjoin(Member, Member.id == Permission.principal_id)
            .outerjoin(ApiKey, ApiKey.id == Permission.principal_id)
            .where(
                Permission.organization_id.in_(orgs),
                Permission.level >= MODIFY,
                func.coalesce(Member.role, ApiKey.role).not_in(("editor", "administrator")),
            )
        ).all()
        if viewers_holding:
            problems.append(f"modify/owner held by a viewer: {viewers_holding}")
    return problems


class ApiModel(RuleBasedStateMachine):
    """One organization driven over HTTP; the class is bound to an app by `bind`."""

    app: Any
    db: Database
    clock: Any  # the frozen_clock fixture
    runs: Iterator[int]

    def __init__(self) -> None:
        super().__init__()
        self.clock.set(START)
        run = next(self.runs)
        people = make_org(self.db, f"run{run}", PEOPLE)
        outsider = make_org(self.db, f"out{run}", {"editor": "editor"})
        self.org = people.id
        self.member_ids = {label: p.member_id for label, p in people.people.items()}
        self.outsider = outsider.people["editor"].member_id
        self.outsider_org = outsider.id
        self.sessions: dict[str, TestClient] = {}
        for label, person in people.people.items():
            self.sessions[label] = login(TestClient(self.app).__enter__(), person.email)
        self.admin = self.sessions["admin"]
        self.keys: list[Key] = []
        self.resources: list[str] = []
        self.key_titles = itertools.count()

    def teardown(self) -> None:
        for c in [*self.sessions.values(), *(k.client for k in self.keys)]:
            c.__exit__(None, None, None)

    # --- the database as oracle -------------------------------------------------------

    def url(self, path: str) -> str:
        return f"/api/v1/organizations/{self.org}/{path}"

    def member_role(self, member_id: str) -> str | None:
        with self.db.transaction(write=False) as s:
            return s.scalar(select(Member.role).where(Member.id == member_id))

    def key_state(self, key: Key) -> str:
        """'deleted', 'expired' or the key's role."""
        with self.db.transaction(write=False) as s:
            row = s.execute(
                select(ApiKey.role, ApiKey.expiration_date).where(ApiKey.id == key.id)
            ).one_or_none()
        if row is None:
            return "deleted"
        if clock.today() > row.expiration_date:
            return "expired"
        return str(row.role)

    def level(self, resource_id: str, principal_id: str) -> int:
        with self.db.transaction(write=False) as s:
            return (
                s.scalar(
                    select(Permission.level).where(
                        Permission.resource_id == resource_id,
                        Permission.principal_id == principal_id,
                    )
                )
                or 0
            )

    def kind_of(self, resource_id: str) -> str | None:
        with self.db.transaction(write=False) as s:
            return s.scalar(select(Resource.kind).where(Resource.id == resource_id))

    def sole_owned(self, principal_id: str) -> set[str]:
        other = aliased(Permission)
        with self.db.transaction(write=False) as s:
            return set(
                s.scalars(
                    select(Permission.resource_id).where(
                        Permission.principal_id == principal_id,
                        Permission.level == OWNER,
                        ~select(other.resource_id)
                        .where(
                            other.resource_id == Permission.resource_id,
                            other.level == OWNER,
                            other.principal_id != principal_id,
                        )
                        .exists(),
                    )
                ).all()
            )

    def actor(self, data: st.DataObject) -> tuple[TestClient, str, str | None, int | None]:
        """A caller: its client, principal id, role (None when it cannot act) and the
        status every request of it must get when it cannot act."""
        live_keys = self.keys
        choices = [*(f"member:{m}" for m in PEOPLE), *(f"key:{i}" for i in range(len(live_keys)))]
        pick = data.draw(st.sampled_from(choices), label="actor")
        kind, _, ref = pick.partition(":")
        if kind == "member":
            role = self.member_role(self.member_ids[ref])
            # A removed member's session no longer reaches the organization at all.
            return self.sessions[ref], self.member_ids[ref], role, None if role else 404
        key = live_keys[int(ref)]
        state = self.key_state(key)
        if state in ("deleted", "expired"):
            return key.client, key.id, None, 401
        return key.client, key.id, state, None

    def principal_pool(self) -> list[str]:
        return [
            *self.member_ids.values(),
            *(k.id for k in self.keys),
            self.outsider,
            "00000000-0000-0000-0000-000000000000",
        ]

    # --- rules --------------------------------------------------------------------------

    @rule(role=st.sampled_from(["editor", "viewer"]), days=st.integers(0, 60))
    def create_key(self, role: str, days: int) -> None:
        expires = (clock.today() + timedelta(days=days)).isoformat()
        title = f"Key {next(self.key_titles)}"
        response = self.admin.post(
            self.url("api-keys"), json={"title": title, "expirationDate": expires, "role": role}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        client = TestClient(self.app, headers={"Api-Key": body["secret"]}).__enter__()
        self.keys.append(Key(body["id"], body["secret"], role, client))

    @initialize(roles=st.lists(st.sampled_from(["editor", "viewer"]), min_size=1, max_size=3))
    def some_keys_and_resources(self, roles: list[str]) -> None:
        """Start from keys that own things, so deletions have something to settle."""
        for role in roles:
            self.create_key(role, 30)
        for index, key in enumerate(self.keys):
            if key.role == "editor":
                for kind in ("datasources", "projects"):
                    made = key.client.post(self.url(kind), json={"name": f"{kind} {index}"})
                    assert made.status_code == 201, made.text
                    self.resources.append(made.json()["id"])

    @rule(data=st.data(), kind=st.sampled_from(KINDS))
    def create_resource(self, data: st.DataObject, kind: str) -> None:
        client, principal_id, role, refused = self.actor(data)
        body: dict[str, Any] = {"name": f"{kind} by {principal_id[:8]}"}
        expected = 201
        if kind in ("layers", "tables"):
            if not self.resources:
                return
            project = data.draw(st.sampled_from(self.resources), label="project")
            source = data.draw(st.sampled_from(self.resources), label="source")
            body |= {"projectId": project, "dataSourceId": source}
        if refused:
            expected = refused
        elif role == "viewer":
            expected = 403
        elif kind in ("layers", "tables"):
            admin = role == "administrator"
            project_level = OWNER if admin else self.level(project, principal_id)
            source_level = OWNER if admin else self.level(source, principal_id)
            if self.kind_of(project) != "projects" or project_level == 0:
                expected = 422
            elif project_level < MODIFY:
                expected = 403
            elif self.kind_of(source) != "datasources" or source_level == 0:
                expected = 422
        response = client.post(self.url(kind), json=body)
        assert response.status_code == expected, (expected, response.text)
        if expected == 201:
            created = response.json()
            assert [o["id"] for o in created["owners"]] == [principal_id]
            self.resources.append(created["id"])

    @precondition(lambda self: self.resources)
    @rule(data=st.data(), size=st.integers(0, 3))
    def put_permissions(self, data: st.DataObject, size: int) -> None:
        client, principal_id, role, refused = self.actor(data)
        resource = data.draw(st.sampled_from(self.resources), label="resource")
        pool = self.principal_pool()
        entries = [
            {
                "principalId": data.draw(st.sampled_from(pool), label="principal"),
                "permission": data.draw(st.sampled_from(LEVELS), label="permission"),
            }
            for _ in range(size)
        ]
        if data.draw(st.booleans(), label="keep caller as owner"):
            # Most real edits keep the caller as an owner and share the rest.
            entries = [{"principalId": principal_id, "permission": "owner"}] + [
                e for e in entries if e["principalId"] != principal_id
            ]
        kind = self.kind_of(resource)
        admin = role == "administrator"
        level = self.level(resource, principal_id)
        if refused:
            expected = refused
        elif kind is None or (not admin and level == 0):
            expected = 404
        elif role == "viewer" or (not admin and level < OWNER):
            expected = 403
        else:
            expected = 200 if self._valid_entries(entries) else 422
        response = client.put(
            self.url(f"{kind or 'projects'}/{resource}/permissions"), json={"entries": entries}
        )
        assert response.status_code == expected, (expected, entries, response.text)
        if expected == 200:
            with self.db.transaction(write=False) as s:
                stored = {
                    (p, lvl)
                    for p, lvl in s.execute(
                        select(Permission.principal_id, Permission.level).where(
                            Permission.resource_id == resource
                        )
                    )
                }
            assert stored == {
                (e["principalId"], PERMISSION_LEVELS[e["permission"]]) for e in entries
            }

    def _valid_entries(self, entries: list[dict[str, str]]) -> bool:
        ids = [e["principalId"] for e in entries]
        if len(set(ids)) != len(ids) or not any(e["permission"] == "owner" for e in entries):
            return False
        for entry in entries:
            role = self._principal_role(entry["principalId"])
            if role is None:
                return False
            if entry["permission"] != "view" and role not in ("editor", "administrator"):
                return False
        return True

    def _principal_role(self, principal_id: str) -> str | None:
        """The role of a principal of this organization (expired keys included)."""
        with self.db.transaction(write=False) as s:
            member = s.scalar(
                select(Member.role).where(
                    Member.id == principal_id, Member.organization_id == self.org
                )
            )
            key = s.scalar(
                select(ApiKey.role).where(
                    ApiKey.id == principal_id, ApiKey.organization_id == self.org
                )
            )
        return member or key

    def _choice(self, data: st.DataObject, removing: str) -> tuple[dict[str, str], int | None]:
        """Query parameters for a deletion, and the status they force (None: decide later)."""
        how = data.draw(st.sampled_from(["none", "transfer", "delete"]), label="choice")
        if how == "none":
            return {}, None
        if how == "delete":
            return {"deleteResources": "true"}, None
        recipient = data.draw(st.sampled_from([*self.principal_pool(), removing]), label="to")
        role = self.member_role(recipient)
        with self.db.transaction(write=False) as s:
            in_org = s.scalar(
                select(Member.id).where(Member.id == recipient, Member.organization_id == self.org)
            )
        if recipient == removing or not in_org or role not in ("editor", "administrator"):
            return {"transferTo": recipient}, 422
        return {"transferTo": recipient}, None

    def _check_outcome(
        self, body: dict[str, Any], params: dict[str, str], sole: set[str], removed: str
    ) -> None:
        with self.db.transaction(write=False) as s:
            left = s.scalar(
                select(func.count())
                .select_from(Permission)
                .where(Permission.principal_id == removed)
            )
            assert left == 0
            if "transferTo" in params and sole:
                to = params["transferTo"]
                assert body["recipient"]["id"] == to
                assert {r["id"] for r in body["transferred"]} == sole
                owned = set(
                    s.scalars(
                        select(Permission.resource_id).where(
                            Permission.principal_id == to, Permission.level == OWNER
                        )
                    ).all()
                )
                assert sole <= owned
            if "deleteResources" in params:
                assert sole <= {r["id"] for r in body["deleted"]}
                assert not s.scalars(select(Resource.id).where(Resource.id.in_(sole))).all()
            if not params:
                assert body["transferred"] == [] and body["deleted"] == []

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def delete_key(self, data: st.DataObject) -> None:
        live = [k for k in self.keys if not k.deleted]
        key = data.draw(st.sampled_from(live or self.keys), label="key")
        if live and data.draw(st.integers(0, 9), label="again") == 0:
            key = data.draw(st.sampled_from(self.keys), label="any key")
        params, forced = self._choice(data, key.id)
        sole = self.sole_owned(key.id)
        if self.key_state(key) == "deleted":
            expected = 404
        elif forced:
            expected = forced
        elif sole and not params:
            expected = 409
        else:
            expected = 200
        response = self.admin.delete(self.url(f"api-keys/{key.id}"), params=params)
        assert response.status_code == expected, (expected, params, response.text)
        if expected == 200:
            key.deleted = True
            self._check_outcome(response.json(), params, sole, key.id)
        if expected == 409:
            assert {r["id"] for r in response.json()["soleOwned"]} == sole

    @rule(who=st.sampled_from(TARGETS), role=st.sampled_from(ROLES))
    def change_role(self, who: str, role: str) -> None:
        member_id = self.member_ids[who]
        before = self.member_role(member_id)
        with self.db.transaction(write=False) as s:
            holds = s.scalar(
                select(func.count())
                .select_from(Permission)
                .where(Permission.principal_id == member_id, Permission.level >= MODIFY)
            )
        if before is None:
            expected = 404
        elif role != before and role == "viewer" and holds:
            expected = 409
        else:
            expected = 200
        response = self.admin.patch(self.url(f"members/{member_id}"), json={"role": role})
        assert response.status_code == expected, (expected, response.text)
        if expected == 409:
            assert response.json()["code"] == "member_owns_resources"

    @rule(data=st.data(), who=st.sampled_from(TARGETS))
    def remove_member(self, data: st.DataObject, who: str) -> None:
        member_id = self.member_ids[who]
        params, forced = self._choice(data, member_id)
        sole = self.sole_owned(member_id)
        if self.member_role(member_id) is None:
            expected = 404
        elif forced:
            expected = forced
        elif sole and not params:
            expected = 409
        else:
            expected = 200
        response = self.admin.delete(self.url(f"members/{member_id}"), params=params)
        assert response.status_code == expected, (expected, params, response.text)
        if expected == 200:
            self._check_outcome(response.json(), params, sole, member_id)

    @rule(days=st.integers(0, 40))
    def time_passes(self, days: int) -> None:
        self.clock.set(self.clock.at + timedelta(days=days))

    @precondition(lambda self: any(not k.deleted for k in self.keys))
    @rule(data=st.data(), days=st.one_of(st.none(), st.integers(0, 60)))
    def roll_key(self, data: st.DataObject, days: int | None) -> None:
        key = data.draw(st.sampled_from([k for k in self.keys if not k.deleted]), label="key")
        body = {} if days is None else {"expirationDate": self._day(days)}
        expected = 422 if days is None and self.key_state(key) == "expired" else 200
        response = self.admin.post(self.url(f"api-keys/{key.id}/roll"), json=body)
        assert response.status_code == expected, (expected, response.text)
        if expected == 200:
            key.secret = response.json()["secret"]
            key.client.headers["Api-Key"] = key.secret

    @rule(days=st.integers(1, 60))
    def change_expiry_warning(self, days: int) -> None:
        response = self.admin.patch(self.url("settings"), json={"expiryWarningDays": days})
        assert response.status_code == 200, response.text

    def _day(self, days: int) -> str:
        return (clock.today() + timedelta(days=days)).isoformat()

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def key_lists_count_what_is_there(self) -> None:
        fields = keys_service.key_fields(clock.today())
        for sort, filters in KEY_LISTS:
            for offset in (0, 2):
                response = self.admin.get(
                    self.url("api-keys"),
                    params={"limit": 2, "offset": offset, "sort": sort, "filter": filters},
                )
                assert response.status_code == 200, response.text
                body = response.json()
                query = parse_list_query(
                    fields, limit="2", offset=str(offset), sort=sort, filters=filters
                )
                expected = key_page_counted_afresh(self.db, self.org, query)
                assert ([k["id"] for k in body["items"]], body["total"]) == expected, (sort, offset)

    @invariant()
    def permission_entries_are_sound(self) -> None:
        assert _invariant_violations(self.db, [self.org, self.outsider_org]) == []

    @invariant()
    def dead_credentials_reach_nothing(self) -> None:
        for key in self.keys:
            state = self.key_state(key)
            response = key.client.get(self.url("projects"))
            if state == "deleted":
                assert response.status_code == 401 and key.deleted
                assert response.json()["code"] == "api_key_invalid"
            elif state == "expired":
                assert response.status_code == 401
                assert response.json()["code"] == "api_key_expired"
            else:
                assert response.status_code == 200, response.text
        for label, client in self.sessions.items():
            gone = self.member_role(self.member_ids[label]) is None
            status = client.get(self.url("projects")).status_code
            assert status == (404 if gone else 200)


@pytest.fixture
def model_app(db: Database, tmp_path: Any) -> Any:
    # No failure limit in the way: dead keys are probed after every step on purpose.
    settings_ = Settings(
        data_dir=tmp_path,
        secret_key="state-machine",
        api_key_email_domain="keys.test",
        auth_failure_limit=1_000_000,
        session_lifetime_hours=24 * 365 * 5,
    )
    return create_app(settings_, db)


def test_api_state_machine(model_app: Any, db: Database, frozen_clock: Any) -> None:
    machine = type(
        "BoundApiModel",
        (ApiModel,),
        {"app": model_app, "db": db, "clock": frozen_clock, "runs": itertools.count()},
    )
    run_state_machine_as_test(machine, settings=STEPS)
