"""Plain helpers that build what tests need through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from keyhouse.api_keys import service as keys
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.core.db import Database
from keyhouse.core.listing import ListQuery, SortKey, apply
from keyhouse.members import service as members
from keyhouse.models import ApiKey
from keyhouse.organizations import service as orgs

PASSWORD = "correct horse battery"


@dataclass
class Person:
    email: str
    name: str
    member_id: str
    role: str
    user_id: str


@dataclass
class Org:
    id: str
    slug: str
    people: dict[str, Person] = field(default_factory=dict)


@dataclass
class World:
    db: Database
    settings: Settings
    org: Org
    other: Org

    @property
    def admin(self) -> Person:
        return self.org.people["admin"]

    @property
    def editor(self) -> Person:
        return self.org.people["editor"]

    @property
    def editor2(self) -> Person:
        return self.org.people["editor2"]

    @property
    def viewer(self) -> Person:
        return self.org.people["viewer"]


def make_org(db: Database, slug: str, people: dict[str, str]) -> Org:
    with db.transaction() as s:
        org = orgs.create_organization(s, slug.title(), slug)
        result = Org(org.id, slug)
        for label, role in people.items():
            email = f"{label}@{slug}.test"
            user = orgs.find_user(s, email) or orgs.create_user(
                s, email, f"{label.title()} of {slug}", PASSWORD
            )
            member = members.add(s, org.id, user, role)
            result.people[label] = Person(email, user.name, member.id, role, user.id)
    return result


def build_world(db: Database, settings: Settings) -> World:
    org = make_org(
        db,
        "acme",
        {"admin": "administrator", "editor": "editor", "editor2": "editor", "viewer": "viewer"},
    )
    other = make_org(db, "globex", {"admin": "administrator", "editor": "editor"})
    return World(db, settings, org, other)


def actor_of(org: Org, person: Person) -> Actor:
    return Actor(
        "member", person.member_id, org.id, person.role, person.name, person.email, person.user_id
    )


def make_key(
    world: World,
    *,
    org: Org | None = None,
    title: str = "Key",
    role: str = "editor",
    days: int = 30,
) -> tuple[str, str]:
    """(key id, secret), created by the org's administrator."""
    org = org or world.org
    with world.db.transaction() as s:
        view, secret = keys.create(
            s,
            org.id,
            title=title,
            expiration_date=(clock.today() + timedelta(days=days)).isoformat(),
            role=role,
            creator=actor_of(org, org.people["admin"]),
            max_lifetime_days=world.settings.max_key_lifetime_days,
            email_domain=world.settings.api_key_email_domain,
            client=None,
        )
    return view.id, secret


def login(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    """Sign the client in; unsafe requests then carry the CSRF header automatically."""
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = client.cookies["kh_csrf"]
    return client


def key_client(app: object, secret: str, *, bearer: bool = False) -> TestClient:
    headers = {"Authorization": f"Bearer {secret}"} if bearer else {"Api-Key": secret}
    return TestClient(app, headers=headers)  # type: ignore[arg-type]


def create_resource(
    client: TestClient, org_id: str, kind: str, name: str, **parents: str
) -> dict[str, object]:
    body: dict[str, object] = {"name": name}
    if "project" in parents:
        body["projectId"] = parents["project"]
    if "source" in parents:
        body["dataSourceId"] = parents["source"]
    response = client.post(f"/api/v1/organizations/{org_id}/{kind}", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def key_page_counted_afresh(db: Database, org_id: str, query: ListQuery) -> tuple[list[str], int]:
    """A page of keys (ids) and the total by `core.listing.apply()`'s statements, which
    count everything every time: the reference for lists that remember their sizes."""
    with db.transaction(write=False) as s:
        warning = keys.warning_days(s, org_id)
        page, count = apply(
            select(ApiKey).where(ApiKey.organization_id == org_id),
            query,
            keys.key_fields(clock.today(), warning),
            tiebreak=ApiKey.id,
            default_sort=(SortKey("creationDate", descending=True),),
        )
        return [k.id for k in s.scalars(page)], int(s.scalar(count) or 0)
