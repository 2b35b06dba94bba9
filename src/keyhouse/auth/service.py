"""Portal sessions: log in, resolve the cookie, log out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from keyhouse.audit import service as audit
from keyhouse.auth.passwords import verify_password
from keyhouse.core import clock
from keyhouse.core.errors import Unauthenticated
from keyhouse.models import Member, Organization, User, WebSession


@dataclass(frozen=True)
class Membership:
    organization_id: str
    organization_name: str
    organization_slug: str
    member_id: str
    role: str


@dataclass(frozen=True)
class SessionUser:
    id: str
    email: str
    name: str
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(
    session: Session, email: str, password: str, *, lifetime: timedelta, client: str | None
) -> tuple[str, str, User]:
    """Check the password; on success a new session token and CSRF token."""
    user = session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()
    if not verify_password(user.password_hash if user else None, password) or user is None:
        audit.record_login_failure(session, email=email.strip().lower(), user=user, client=client)
        raise Unauthenticated("Wrong email or password.", code="invalid_credentials")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        WebSession(
            token_digest=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    audit.record_login(session, user=user, client=client)
    session.flush()
    return token, csrf, user


def resolve(session: Session, token: str) -> SessionUser | None:
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(User.id, User.email, User.name, WebSession.csrf_token)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_digest == _digest(token), WebSession.expires_at > clock.now())
    ).one_or_none()
    if row is None:
        return None
    return SessionUser(id=row.id, email=row.email, name=row.name, csrf_token=row.csrf_token)


def logout(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_digest == _digest(token)))


def memberships(session: Session, user_id: str) -> list[Membership]:
    rows = session.execute(
        select(Organization.id, Organization.name, Organization.slug, Member.id, Member.role)
        .join(Member, Member.organization_id == Organization.id)
        .where(Member.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    ).all()
    return [Membership(r[0], r[1], r[2], r[3], r[4]) for r in rows]
