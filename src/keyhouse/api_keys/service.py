"""API keys: create, list, inspect, delete (with the transfer rules of `ownership`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, case, delete, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyhouse.audit import service as audit
from keyhouse.auth import keys
from keyhouse.auth.api_key_auth import is_expired
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.errors import Conflict, Invalid, NotFound
from keyhouse.core.listing import FieldType, ListField, ListQuery, Page, SortKey, page_ids
from keyhouse.members.service import resources_owned
from keyhouse.models import ApiKey, Principal
from keyhouse.resources import ownership
from keyhouse.resources.ownership import Outcome, Preview


@dataclass(frozen=True)
class KeyView:
    id: str
    title: str
    role: str
    email: str
    created_by: dict[str, str | None]
    creation_date: datetime
    expiration_date: date
    status: str
    last_used_date: datetime | None


def view(key: ApiKey | Row[Any], today: date | None = None) -> KeyView:
    today = today or clock.today()
    return KeyView(
        id=key.id,
        title=key.title,
        role=key.role,
        email=key.email,
        created_by={
            "id": key.created_by_id,
            "name": key.created_by_name,
            "email": key.created_by_email,
        },
        creation_date=key.created_at,
        expiration_date=key.expiration_date,
        status="expired" if is_expired(key.expiration_date, today) else "active",
        last_used_date=key.last_used_at,
    )


@lru_cache(maxsize=4)
def key_fields(today: date) -> dict[str, ListField]:
    """The list fields of keys (cached per day: building the expressions costs more than
    a page of keys; callers only read the dict)."""
    expired = ApiKey.expiration_date < today
    status = case((expired, literal("expired")), else_=literal("active"))
    return {
        "title": ListField("title", FieldType.TEXT, (ApiKey.title_key,), lowered=True),
        "id": ListField("id", FieldType.TEXT, (ApiKey.id,), lowered=True),
        "createdBy": ListField(
            "createdBy",
            FieldType.TEXT,
            (ApiKey.created_by_name, ApiKey.created_by_email),
        ),
        "creationDate": ListField("creationDate", FieldType.DATETIME, (ApiKey.created_at,)),
        "expirationDate": ListField("expirationDate", FieldType.DATE, (ApiKey.expiration_date,)),
        "role": ListField("role", FieldType.ENUM, (ApiKey.role,), values=("editor", "viewer")),
        "status": ListField(
            "status",
            FieldType.ENUM,
            (status,),
            values=("active", "expired"),
            sort_by=status,
            match=lambda v: expired if v == "expired" else ~expired,
            segments=(~expired, expired),  # 'active' sorts before 'expired'
        ),
        "lastUsedDate": ListField("lastUsedDate", FieldType.DATETIME, (ApiKey.last_used_at,)),
        "email": ListField("email", FieldType.TEXT, (ApiKey.email,), lowered=True),
    }


_KEY_COLUMNS = tuple(ApiKey.__table__.c)


def list_keys(session: Session, organization_id: str, query: ListQuery) -> Page:
    """A page of the organization's keys and their total.

    Every statement is one an index serves whatever the page, sort or title filter: the
    count, the page's ids (read from the nearer end of the order), then those rows by id.
    """
    today = clock.today()
    ids, total = page_ids(
        session,
        select(ApiKey.id).where(ApiKey.organization_id == organization_id),
        query,
        key_fields(today),
        tiebreak=ApiKey.id,
        default_sort=(SortKey("creationDate", descending=True),),
    )
    # Plain rows, not ORM objects: a page is read-only.
    found = session.execute(select(*_KEY_COLUMNS).where(ApiKey.id.in_(ids))) if ids else ()
    rows = {r.id: r for r in found}
    items = [view(rows[i], today) for i in ids if i in rows]
    return Page(items, total, query.limit, query.offset)


def get(session: Session, organization_id: str, key_id: str) -> ApiKey:
    key = session.scalars(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
    ).one_or_none()
    if key is None:
        raise NotFound("No such API key.")
    return key


def key_email(key_id: str, domain: str) -> str:
    # Derived from the id: unique and stable for the key's whole life.
    return f"api-key-{key_id}@{domain}"


def create(
    session: Session,
    organization_id: str,
    *,
    title: str,
    expiration_date: str,
    role: str,
    creator: Actor,
    max_lifetime_days: int,
    email_domain: str,
    client: str | None,
) -> tuple[KeyView, str]:
    """A new key and its secret (returned this once, never stored)."""
    today = clock.today()
    expires = date.fromisoformat(expiration_date)
    if expires < today:
        raise Invalid("expirationDate", f"must be today ({today.isoformat()}) or later (UTC)")
    latest = today + timedelta(days=max_lifetime_days)
    if expires > latest:
        raise Invalid(
            "expirationDate",
            f"must be at most {max_lifetime_days} days ahead ({latest.isoformat()} or earlier)",
        )
    title_key = title.lower()
    taken = session.scalar(
        select(ApiKey.id).where(
            ApiKey.organization_id == organization_id, ApiKey.title_key == title_key
        )
    )
    if taken:
        raise _title_taken(title)
    key_id = str(uuid.uuid4())
    secret = keys.generate()
    session.add(Principal(id=key_id, organization_id=organization_id, kind="apiKey"))
    session.flush()
    key = ApiKey(
        id=key_id,
        organization_id=organization_id,
        title=title,
        title_key=title_key,
        role=role,
        email=key_email(key_id, email_domain),
        secret_digest=keys.digest(secret),
        created_by_id=creator.id,
        created_by_name=creator.name,
        created_by_email=creator.email,
        created_at=clock.now(),
        expiration_date=expires,
    )
    session.add(key)
    try:
        # A savepoint: a racing insert of the same title becomes a clean 409.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _title_taken(title) from None
    audit.record(
        session,
        organization_id=organization_id,
        actor=creator,
        action="api_key.created",
        target_type="apiKey",
        target_id=key_id,
        target_name=title,
        client=client,
        details={"role": role, "expirationDate": expires.isoformat()},
    )
    return view(key, today), secret


def _title_taken(title: str) -> Conflict:
    return Conflict(
        f"An API key titled '{title}' already exists in this organization.",
        code="title_taken",
        extra={"errors": [{"field": "title", "message": "is already used by another key"}]},
    )


def deletion_preview(session: Session, organization_id: str, key_id: str) -> Preview:
    get(session, organization_id, key_id)
    return ownership.preview(session, organization_id, key_id)


def delete_key(
    session: Session,
    organization_id: str,
    key_id: str,
    *,
    transfer_to: str | None,
    delete_resources: bool,
    actor: Actor | None,
    client: str | None,
) -> Outcome:
    """Delete the key and settle what it owns, all in the caller's one transaction."""
    key = session.scalars(
        select(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
        .with_for_update()
    ).one_or_none()
    if key is None:
        raise NotFound("No such API key.")
    title = key.title
    outcome = ownership.remove_principal(
        session,
        organization_id,
        key_id,
        transfer_to=transfer_to,
        delete_resources=delete_resources,
        on_conflict=lambda plan: resources_owned(plan, "key"),
    )
    session.execute(delete(ApiKey).where(ApiKey.id == key_id))
    session.execute(delete(Principal).where(Principal.id == key_id))
    session.expunge(key)
    details: dict[str, Any] = {"role": key.role, **ownership.summary(outcome)}
    audit.record(
        session,
        organization_id=organization_id,
        actor=actor,
        action="api_key.deleted",
        target_type="apiKey",
        target_id=key_id,
        target_name=title,
        client=client,
        details=details,
    )
    return outcome
