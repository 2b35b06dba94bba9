"""An idempotent demo: two organizations, people in every role, keys and resources."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from keyhouse.api_keys import service as keys_service
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.members import service as members_service
from keyhouse.models import ApiKey, Member, Organization, Permission
from keyhouse.organizations import service as orgs
from keyhouse.resources import service as resources

PASSWORD = "keyhouse-demo"  # noqa: S105 - the documented demo password
ADMIN_EMAIL = "alice@demo.keyhouse.test"

PEOPLE = [
    ("alice@demo.keyhouse.test", "Alice Admin", "administrator"),
    ("eddie@demo.keyhouse.test", "Eddie Editor", "editor"),
    ("erin@demo.keyhouse.test", "Erin Editor", "editor"),
    ("vera@demo.keyhouse.test", "Vera Viewer", "viewer"),
]


def _actor(member: Member, name: str, email: str) -> Actor:
    return Actor(
        "member", member.id, member.organization_id, member.role, name, email, member.user_id
    )


def _key_actor(key_id: str, org_id: str, role: str, title: str, email: str) -> Actor:
    return Actor("apiKey", key_id, org_id, role, title, email)


def seed(session: Session, settings: Settings) -> bool:
    """Create the demo once; False when it was already there."""
    if session.scalar(select(Organization.id).where(Organization.slug == "demo")):
        return False
    demo = orgs.create_organization(session, "Demo Organization", "demo")
    acme = orgs.create_organization(session, "Acme Research", "acme")
    actors: dict[str, Actor] = {}
    for email, name, role in PEOPLE:
        user = orgs.find_user(session, email) or orgs.create_user(session, email, name, PASSWORD)
        member = members_service.add(session, demo.id, user, role)
        actors[email] = _actor(member, name, email)
    alice = orgs.find_user(session, ADMIN_EMAIL)
    assert alice is not None
    acme_admin = _actor(
        members_service.add(session, acme.id, alice, "administrator"), alice.name, alice.email
    )
    admin = actors[ADMIN_EMAIL]
    eddie = actors["eddie@demo.keyhouse.test"]
    today = clock.today()

    def make_key(org_actor: Actor, title: str, role: str, days: int) -> Actor:
        view, _secret = keys_service.create(
            session,
            org_actor.organization_id,
            title=title,
            expiration_date=(today + timedelta(days=days)).isoformat(),
            role=role,
            creator=org_actor,
            max_lifetime_days=settings.max_key_lifetime_days,
            email_domain=settings.api_key_email_domain,
            client=None,
        )
        return _key_actor(view.id, org_actor.organization_id, role, title, view.email)

    ci = make_key(admin, "CI pipeline", "editor", 365)
    make_key(admin, "Reporting dashboard", "viewer", 90)
    legacy = make_key(admin, "Legacy sync", "editor", 30)
    make_key(acme_admin, "Acme importer", "editor", 180)

    def res(actor: Actor, kind: str, name: str, **parents: str) -> str:
        return resources.create(
            session,
            actor,
            kind,
            name=name,
            description="",
            project_id=parents.get("project"),
            data_source_id=parents.get("source"),
            client=None,
        ).id

    osm = res(ci, "datasources", "OpenStreetMap extract")
    city = res(ci, "projects", "City map")
    res(ci, "layers", "Roads", project=city, source=osm)
    res(ci, "tables", "Parcels", project=city, source=osm)
    shared = res(ci, "projects", "Shared basemap")
    session.add(
        Permission(organization_id=demo.id, resource_id=shared, principal_id=eddie.id, level=3)
    )
    census = res(eddie, "datasources", "Census 2020")
    transit = res(eddie, "projects", "Transit study")
    res(eddie, "layers", "Bus stops", project=transit, source=census)
    res(legacy, "datasources", "Legacy parcels feed")
    # An expired key, so the table shows both states (creation refuses past dates).
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == legacy.id)
        .values(expiration_date=today - timedelta(days=3))
    )
    session.flush()
    return True
