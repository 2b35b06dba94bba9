"""Organizations and users (administered from the command line)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from keyhouse.audit import service as audit
from keyhouse.auth.passwords import hash_password
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.errors import Conflict, Invalid, NotFound
from keyhouse.core.text import check_name
from keyhouse.models import Organization, User

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:100].strip("-") or "org"


def create_organization(session: Session, name: str, slug: str | None = None) -> Organization:
    try:
        name = check_name(name, max_length=200)
    except ValueError as exc:
        raise Invalid("name", str(exc)) from None
    slug = slug or slugify(name)
    if not _SLUG.fullmatch(slug):
        raise Invalid("slug", "use lower-case letters, digits and inner hyphens")
    if session.scalar(select(Organization.id).where(Organization.slug == slug)):
        raise Conflict(f"The slug '{slug}' is taken.", code="slug_taken")
    org = Organization(name=name, slug=slug, created_at=clock.now())
    session.add(org)
    session.flush()
    return org


def find_organization(session: Session, ref: str) -> Organization:
    org = session.scalars(
        select(Organization).where(or_(Organization.id == ref, Organization.slug == ref))
    ).one_or_none()
    if org is None:
        raise NotFound(f"No organization with id or slug '{ref}'.")
    return org


def create_user(session: Session, email: str, name: str, password: str) -> User:
    email = email.strip().lower()
    if not _EMAIL.fullmatch(email) or len(email) > 320:
        raise Invalid("email", "is not an email address")
    try:
        name = check_name(name, max_length=200)
    except ValueError as exc:
        raise Invalid("name", str(exc)) from None
    if len(password) < 8:
        raise Invalid("password", "must be at least 8 characters")
    if find_user(session, email) is not None:
        raise Conflict(f"A user with the email {email} exists.", code="email_taken")
    user = User(
        email=email, name=name, password_hash=hash_password(password), created_at=clock.now()
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()


def settings_of(session: Session, organization_id: str) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("No such organization.")
    return org


def update_settings(
    session: Session,
    organization_id: str,
    *,
    expiry_warning_days: int | None,
    actor: Actor | None,
    client: str | None,
) -> Organization:
    """Change the organization's settings; an audit event records what changed."""
    org = session.scalars(
        select(Organization).where(Organization.id == organization_id).with_for_update()
    ).one_or_none()
    if org is None:
        raise NotFound("No such organization.")
    changes: dict[str, Any] = {}
    if expiry_warning_days is not None and expiry_warning_days != org.expiry_warning_days:
        changes["expiryWarningDays"] = {"from": org.expiry_warning_days, "to": expiry_warning_days}
        org.expiry_warning_days = expiry_warning_days
    if changes:
        session.flush()
        audit.record(
            session,
            organization_id=organization_id,
            actor=actor,
            action="organization.settings_changed",
            target_type="organization",
            target_id=organization_id,
            target_name=org.name,
            client=client,
            details=changes,
        )
    return org
