"""Races between requests on real concurrent connections.

Each race runs two requests in two threads, each through its own TestClient (so its own
database connection and transaction). To reach the interleaving that matters, not just
hope for it, the first request is held inside its transaction, just before it records
its audit event (every write is done, nothing is committed), until the second request is
seen waiting on a row lock in PostgreSQL or has finished. The hold is only a way to order
the two; nothing asserts on time. Every race runs in both orders, ten times each, and the
invariants are checked after every run.

PostgreSQL only (SQLite serializes writers with BEGIN IMMEDIATE), except the last test,
which checks that two simultaneous deletions of one key serialize on SQLite too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from keyhouse.api_keys import service as keys_service
from keyhouse.audit import service as audit_service
from keyhouse.core.db import Database
from keyhouse.members import service as members_service
from keyhouse.models import MODIFY, OWNER, ApiKey, AuditEvent, Member, Permission, Resource
from keyhouse.organizations import service as orgs
from keyhouse.resources import service as resources_service
from tests.factories import PASSWORD, World, create_resource, key_client, login, make_key

ROUNDS = 10  # per order: every race runs 2 x ROUNDS times
HOLD_LIMIT = 10.0  # seconds a held request waits at most for the other one to block


@pytest.fixture
def pg(db: Database) -> Database:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("races need PostgreSQL's row locks (SQLite serializes every writer)")
    return db


Call = Callable[[], httpx.Response]


class _HeldAudit:
    """Stands in for a service module's `audit`: the first `record` call waits on the gate."""

    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    def __getattr__(self, name: str) -> Any:
        return getattr(audit_service, name)

    def record(self, *args: Any, **kwargs: Any) -> Any:
        self._gate.hold()
        return audit_service.record(*args, **kwargs)


@dataclass
class Gate:
    db: Database
    reached: threading.Event = field(default_factory=threading.Event)
    second_done: threading.Event = field(default_factory=threading.Event)
    armed: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    saw_waiter: bool = False

    def hold(self) -> None:
        with self.lock:
            if not self.armed:
                return
            self.armed = False
        self.reached.set()
        deadline = time.monotonic() + HOLD_LIMIT
        while time.monotonic() < deadline and not self.second_done.is_set():
            if self.db.is_sqlite:
                break
            with self.db.engine.connect() as conn:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            if waiting:
                self.saw_waiter = True
                return
            time.sleep(0.002)


@dataclass(frozen=True)
class Outcome:
    first: int
    second: int
    blocked: bool  # the second request was seen waiting on a lock the first one held


def race(db: Database, first: Call, held_in: ModuleType, second: Call) -> Outcome:
    """Run `first`, hold it inside its transaction (in `held_in`'s audit call), run `second`.

    Returns both statuses. Neither request may fail with a server error.
    """
    gate = Gate(db)
    results: dict[str, httpx.Response | BaseException] = {}

    def run(name: str, call: Call) -> None:
        try:
            results[name] = call()
        except BaseException as exc:  # reported below, in the test's thread
            results[name] = exc
        finally:
            if name == "first":
                gate.reached.set()  # it finished without reaching the hold
            else:
                gate.second_done.set()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(held_in, "audit", _HeldAudit(gate))
        one = threading.Thread(target=run, args=("first", first))
        one.start()
        gate.reached.wait()
        two = threading.Thread(target=run, args=("second", second))
        two.start()
        one.join()
        two.join()
    statuses = []
    for name in ("first", "second"):
        outcome = results[name]
        if isinstance(outcome, BaseException):
            raise AssertionError(f"{name} request raised") from outcome
        assert outcome.status_code < 500, (name, outcome.status_code, outcome.text)
        statuses.append(outcome.status_code)
    return Outcome(statuses[0], statuses[1], gate.saw_waiter)


def assert_sound(db: Database) -> None:
    """No resource without an owner; no viewer holding modify or owner."""
    with db.transaction(write=False) as s:
        ownerless = s.scalars(
            select(Resource.id).where(
                ~select(Permission.resource_id)
                .where(Permission.resource_id == Resource.id, Permission.level == OWNER)
                .exists()
            )
        ).all()
        assert ownerless == [], "resources left without an owner"
        viewers = s.execute(
            select(Permission.resource_id, Permission.principal_id)
            .outerjoin(Member, Member.id == Permission.principal_id)
            .outerjoin(ApiKey, ApiKey.id == Permission.principal_id)
            .where(
                Permission.level >= MODIFY,
                func.coalesce(Member.role, ApiKey.role).not_in(("editor", "administrator")),
            )
        ).all()
        assert viewers == [], "a viewer holds modify or owner"


@dataclass
class Stage:
    """A world plus ready-made clients; `fresh_member` adds a new member for one round."""

    app: Any
    world: World
    admin: TestClient
    admin2: TestClient
    counter: Iterator[int] = field(default_factory=lambda: iter(range(10_000)))

    def url(self, path: str) -> str:
        return f"/api/v1/organizations/{self.world.org.id}/{path}"

    def client(self, **headers: str) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False, headers=headers)

    def session_of(self, email: str) -> TestClient:
        return login(self.client(), email)

    def fresh_member(self, role: str) -> tuple[str, str]:
        """(member id, email) of a new member with `role`."""
        n = next(self.counter)
        email = f"racer{n}@acme.test"
        with self.world.db.transaction() as s:
            user = orgs.create_user(s, email, f"Racer {n}", PASSWORD)
            member = members_service.add(s, self.world.org.id, user, role)
            return member.id, email

    def owning_key(self) -> tuple[str, str, str]:
        """(key id, secret, id of a project it solely owns)."""
        n = next(self.counter)
        key_id, secret = make_key(self.world, title=f"Racing key {n}")
        project = create_resource(key_client(self.app, secret), self.world.org.id, "projects", "P")
        return key_id, secret, str(project["id"])

    def owners(self, resource_id: str) -> set[str]:
        with self.world.db.transaction(write=False) as s:
            return set(
                s.scalars(
                    select(Permission.principal_id).where(
                        Permission.resource_id == resource_id, Permission.level == OWNER
                    )
                ).all()
            )


@pytest.fixture
def stage(app: Any, world: World) -> Stage:
    with world.db.transaction() as s:
        user = orgs.create_user(s, "admin2@acme.test", "Second admin", PASSWORD)
        members_service.add(s, world.org.id, user, "administrator")
    admin = login(TestClient(app, raise_server_exceptions=False), world.admin.email)
    admin2 = login(TestClient(app, raise_server_exceptions=False), "admin2@acme.test")
    return Stage(app, world, admin, admin2)


ORDERS = pytest.mark.parametrize("order", ["a_first", "b_first"])


def _ordered(order: str, a: tuple[Call, ModuleType], b: tuple[Call, ModuleType]) -> Any:
    return (a, b) if order == "a_first" else (b, a)


def _run(
    db: Database, order: str, a: tuple[Call, ModuleType], b: tuple[Call, ModuleType]
) -> tuple[int, int]:
    """Statuses of (a, b), whichever went first; the second must have waited on the first."""
    (first, held), (second, _) = _ordered(order, a, b)
    outcome = race(db, first, held, second)
    BLOCKED.append(outcome.blocked)
    if order == "a_first":
        return outcome.first, outcome.second
    return outcome.second, outcome.first


BLOCKED: list[bool] = []


@pytest.fixture(autouse=True)
def _interleaved() -> Iterator[None]:
    """Each race test must really have interleaved: in every one of these races the second
    request has to wait for a row lock the held first one owns, at least once in its rounds
    (in practice every time; `any` keeps a pathologically slow machine from failing it)."""
    BLOCKED.clear()
    yield
    if BLOCKED:
        assert any(BLOCKED), "the second request never waited on the first one's locks"


def test_two_administrators_delete_one_key(pg: Database, stage: Stage) -> None:
    to = {"transferTo": stage.world.editor.member_id}
    for _ in range(2 * ROUNDS):
        key_id, _secret, _project = stage.owning_key()
        path = stage.url(f"api-keys/{key_id}")
        outcome = race(
            pg,
            lambda p=path: stage.admin.delete(p, params=to),
            keys_service,
            lambda p=path: stage.admin2.delete(p, params=to),
        )
        BLOCKED.append(outcome.blocked)
        assert (outcome.first, outcome.second) == (200, 404)
        with pg.transaction(write=False) as s:
            events = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "api_key.deleted", AuditEvent.target_id == key_id)
            )
        assert events == 1
        assert_sound(pg)


@ORDERS
def test_key_creates_a_resource_while_being_deleted(pg: Database, stage: Stage, order: str) -> None:
    recipient = stage.world.editor.member_id
    outcomes = set()
    for n in range(ROUNDS):
        key_id, secret, project = stage.owning_key()
        kc = stage.client(**{"Api-Key": secret})
        created: dict[str, httpx.Response] = {}

        def create(
            kc: TestClient = kc, n: int = n, created: dict[str, httpx.Response] = created
        ) -> httpx.Response:
            created["r"] = kc.post(stage.url("datasources"), json={"name": f"Late source {n}"})
            return created["r"]

        made, deleted = _run(
            pg,
            order,
            (create, resources_service),
            (
                lambda k=key_id: stage.admin.delete(
                    stage.url(f"api-keys/{k}"), params={"transferTo": recipient}
                ),
                keys_service,
            ),
        )
        assert deleted == 200
        assert made in (201, 401), made
        outcomes.add(made)
        assert stage.owners(project) == {recipient}
        if made == 201:
            # Created before the deletion took its lock: transferred with the rest.
            assert stage.owners(created["r"].json()["id"]) == {recipient}
        assert_sound(pg)
    # The hold decides the order: the key's write wins when it goes first, else it is refused.
    assert outcomes == ({201} if order == "a_first" else {401})


@ORDERS
@pytest.mark.parametrize("change", ["demoted", "removed"])
def test_recipient_changes_while_a_transfer_to_them_runs(
    pg: Database, stage: Stage, order: str, change: str
) -> None:
    for _ in range(ROUNDS):
        key_id, _secret, project = stage.owning_key()
        recipient, _email = stage.fresh_member("editor")

        def transfer(k: str = key_id, r: str = recipient) -> httpx.Response:
            return stage.admin.delete(stage.url(f"api-keys/{k}"), params={"transferTo": r})

        def alter(r: str = recipient) -> httpx.Response:
            if change == "demoted":
                return stage.admin2.patch(stage.url(f"members/{r}"), json={"role": "viewer"})
            return stage.admin2.delete(stage.url(f"members/{r}"))

        moved, altered = _run(pg, order, (transfer, keys_service), (alter, members_service))
        if order == "a_first":
            # The transfer locked the recipient first: the change sees what it now owns.
            assert (moved, altered) == (200, 409)
            assert stage.owners(project) == {recipient}
        else:
            # The change went first: the transfer finds a viewer, or no member, and refuses.
            assert (moved, altered) == (422, 200)
            assert stage.owners(project) == {key_id}
        assert_sound(pg)


@ORDERS
def test_owner_granted_to_a_key_while_it_is_deleted(pg: Database, stage: Stage, order: str) -> None:
    """An administrator makes a key the only owner of a project while the key is deleted."""
    recipient = stage.world.editor.member_id
    for n in range(ROUNDS):
        key_id, _secret = make_key(stage.world, title=f"Grantee {n}")
        project = create_resource(stage.admin, stage.world.org.id, "projects", f"Granted {n}")
        pid = str(project["id"])

        def grant(k: str = key_id, p: str = pid) -> httpx.Response:
            return stage.admin2.put(
                stage.url(f"projects/{p}/permissions"),
                json={"entries": [{"principalId": k, "permission": "owner"}]},
            )

        def delete(k: str = key_id) -> httpx.Response:
            return stage.admin.delete(stage.url(f"api-keys/{k}"), params={"transferTo": recipient})

        granted, deleted = _run(pg, order, (grant, resources_service), (delete, keys_service))
        assert deleted == 200
        if order == "a_first":
            assert granted == 200
            assert stage.owners(pid) == {recipient}  # the key's ownership was transferred
        else:
            assert granted == 422  # no such key any more
            assert stage.owners(pid) == {stage.world.admin.member_id}
        assert_sound(pg)


@ORDERS
def test_modify_granted_to_a_member_while_they_are_demoted(
    pg: Database, stage: Stage, order: str
) -> None:
    for n in range(ROUNDS):
        member, _email = stage.fresh_member("editor")
        project = create_resource(stage.admin, stage.world.org.id, "projects", f"Shared {n}")
        pid = str(project["id"])

        def grant(m: str = member, p: str = pid) -> httpx.Response:
            return stage.admin.put(
                stage.url(f"projects/{p}/permissions"),
                json={
                    "entries": [
                        {"principalId": stage.world.admin.member_id, "permission": "owner"},
                        {"principalId": m, "permission": "modify"},
                    ]
                },
            )

        def demote(m: str = member) -> httpx.Response:
            return stage.admin2.patch(stage.url(f"members/{m}"), json={"role": "viewer"})

        granted, demoted = _run(pg, order, (grant, resources_service), (demote, members_service))
        if order == "a_first":
            assert (granted, demoted) == (200, 409)
        else:
            assert (granted, demoted) == (422, 200)
        assert_sound(pg)


@ORDERS
@pytest.mark.parametrize("change", ["demoted", "removed"])
def test_member_creates_a_resource_while_demoted_or_removed(
    pg: Database, stage: Stage, order: str, change: str
) -> None:
    recipient = stage.world.editor.member_id
    for n in range(ROUNDS):
        member, email = stage.fresh_member("editor")
        session = stage.session_of(email)

        def create(c: TestClient = session, n: int = n) -> httpx.Response:
            return c.post(stage.url("projects"), json={"name": f"Member's {n}"})

        def alter(m: str = member) -> httpx.Response:
            if change == "demoted":
                return stage.admin.patch(stage.url(f"members/{m}"), json={"role": "viewer"})
            return stage.admin.delete(stage.url(f"members/{m}"), params={"transferTo": recipient})

        made, altered = _run(pg, order, (create, resources_service), (alter, members_service))
        if order == "a_first":
            # Created first: a demotion is refused (it owns something), a removal transfers it.
            assert made == 201
            assert altered == (409 if change == "demoted" else 200)
        else:
            assert altered == 200
            assert made == (403 if change == "demoted" else 404)
        assert_sound(pg)


def test_simultaneous_deletions_serialize_on_every_engine(db: Database, stage: Stage) -> None:
    """Two administrators, one key, both requests released by one barrier: one wins."""
    for _ in range(2 * ROUNDS):
        key_id, _secret, _project = stage.owning_key()
        path = stage.url(f"api-keys/{key_id}")
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def delete(
            client: TestClient, p: str = path, barrier: Any = barrier, statuses: Any = statuses
        ) -> None:
            barrier.wait()
            statuses.append(client.delete(p, params={"deleteResources": "true"}).status_code)

        clients = (stage.admin, stage.admin2)
        threads = [threading.Thread(target=delete, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 404]
        with db.transaction(write=False) as s:
            assert s.get(ApiKey, key_id) is None
            events = s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "api_key.deleted", AuditEvent.target_id == key_id)
            )
        assert events == 1
        assert_sound(db)
