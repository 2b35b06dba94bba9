"""API keys: create, list, inspect, roll, delete (with the transfer rules of `ownership`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, case, delete, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from keyhouse.api_keys.status import DEFAULT_WARNING_DAYS, STATUSES, conditions, key_status
from keyhouse.audit import service as audit
from keyhouse.auth import keys
from keyhouse.auth.api_key_auth import is_expired
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.errors import Conflict, Invalid, NotFound
from keyhouse.core.listing import (
    FieldType,
    ListField,
    ListQuery,
    Page,
    Remembered,
    SizeCache,
    SortKey,
    page_ids,
)
from keyhouse.members.service import resources_owned
from keyhouse.models import ApiKey, KeyUsage, Organization, Principal, RetiredSecret
from keyhouse.resources import ownership
from keyhouse.resources.ownership import Outcome, Preview
from keyhouse.webhooks import events

MAX_OVERLAP = timedelta(hours=72)  # a retired secret never works longer than this
MAX_UNUSED_DAYS = 3650
EVENT_REFS = 100  # resource references a webhook event lists (the counts are exact)


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
    last_used_address: str | None
    last_rolled_date: datetime | None
    previous_secret_valid_until: datetime | None


def view(
    key: ApiKey | Row[Any],
    today: date | None = None,
    *,
    warning_days: int = DEFAULT_WARNING_DAYS,
    previous_valid_until: datetime | None = None,
) -> KeyView:
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
        status=key_status(key.expiration_date, today, warning_days),
        last_used_date=key.last_used_at,
        last_used_address=key.last_used_address,
        last_rolled_date=key.rolled_at,
        previous_secret_valid_until=previous_valid_until,
    )


def warning_days(session: Session, organization_id: str) -> int:
    """The organization's expiry warning, in days (keys expiring sooner are `expiring`)."""
    found = session.scalar(
        select(Organization.expiry_warning_days).where(Organization.id == organization_id)
    )
    return DEFAULT_WARNING_DAYS if found is None else int(found)


def previous_secrets_valid_until(
    session: Session, keys_: list[ApiKey] | list[Row[Any]], now: datetime
) -> dict[str, datetime]:
    """Per key, the latest deadline of its retired secrets that is still in the future.

    Only a key rolled within the longest overlap can have one, so most pages ask nothing.
    """
    recent = [k.id for k in keys_ if k.rolled_at is not None and k.rolled_at > now - MAX_OVERLAP]
    if not recent:
        return {}
    rows = session.execute(
        select(RetiredSecret.key_id, func.max(RetiredSecret.valid_until))
        .where(RetiredSecret.key_id.in_(recent), RetiredSecret.valid_until > now)
        .group_by(RetiredSecret.key_id)
    )
    return {key_id: until for key_id, until in rows}


def key_view(session: Session, key: ApiKey) -> KeyView:
    """One key, as the API shows it."""
    now = clock.now()
    previous = previous_secrets_valid_until(session, [key], now)
    return view(
        key,
        now.date(),
        warning_days=warning_days(session, key.organization_id),
        previous_valid_until=previous.get(key.id),
    )


def _unused_days(operator: str, days: int) -> Any:
    assert operator == ">="
    since = clock.now() - timedelta(days=days)
    return or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < since)


@lru_cache(maxsize=64)
def key_fields(today: date, warning: int = DEFAULT_WARNING_DAYS) -> dict[str, ListField]:
    """The list fields of keys, for a day and an organization's expiry warning (cached:
    building the expressions costs more than a page of keys; callers only read the dict).
    """
    by_status = conditions(ApiKey.expiration_date, today, warning)
    # Sorted in the order of a key's life (active, expiring, expired), not by name.
    status = case(
        (by_status["expired"], literal("expired")),
        (by_status["expiring"], literal("expiring")),
        else_=literal("active"),
    )
    rank = case((by_status["expired"], literal(2)), (by_status["expiring"], literal(1)), else_=0)
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
            values=STATUSES,
            sort_by=rank,
            match=by_status.__getitem__,
            segments=tuple(by_status[name] for name in STATUSES),  # in `rank` order
        ),
        # Stamped by verification without a new keys_version: counts by it are not kept.
        "lastUsedDate": ListField(
            "lastUsedDate", FieldType.DATETIME, (ApiKey.last_used_at,), volatile=True
        ),
        # A key's email is `api-key-{id}@{domain}` (key_email): ids are unique, of one length
        # and shape, so two emails differ first inside the id, whatever the domains and the
        # collation, and sort as the ids do. Sorting by id is sorting by email, served by the
        # id index (the email index, the widest, stays for filters).
        "email": ListField(
            "email", FieldType.TEXT, (ApiKey.email,), lowered=True, sort_by=ApiKey.id
        ),
        # Never used, or last used more than N days ago (filter only: sort by lastUsedDate).
        "unusedDays": ListField(
            "unusedDays",
            FieldType.NUMBER,
            (ApiKey.last_used_at,),
            sortable=False,
            operators=frozenset({">="}),
            bounds=(1, MAX_UNUSED_DAYS),
            compare=_unused_days,
            volatile=True,
        ),
    }


_KEY_COLUMNS = tuple(ApiKey.__table__.c)

# The run sizes of key lists (totals, status segments) this process has counted, under the
# organization's keys_version: see list_keys.
RUN_SIZES = SizeCache(maxsize=4096)


def _keys_version(session: Session, organization_id: str) -> int | None:
    return session.scalar(
        select(Organization.keys_version).where(Organization.id == organization_id)
    )


def list_keys(
    session: Session,
    organization_id: str,
    query: ListQuery,
    *,
    sizes: SizeCache | None = RUN_SIZES,
) -> Page:
    """A page of the organization's keys and their total.

    Every statement is one an index serves whatever the page, sort or title filter: the
    run sizes (the total), the page's ids (read from the nearer end of the order), then
    those rows by id. The run sizes are remembered in `sizes` under the organization's
    `keys_version` read in this transaction, which triggers replace in the transaction of
    every change to its keys (migration 0004): every worker reads the number from the
    database, so none can use a size counted in another state. Counts that depend on the
    last use (which verification stamps without a new number) are never remembered.
    `sizes=None` counts everything afresh.
    """
    now = clock.now()
    today = now.date()
    found = session.execute(
        select(Organization.expiry_warning_days, Organization.keys_version).where(
            Organization.id == organization_id
        )
    ).one_or_none()
    warning = DEFAULT_WARNING_DAYS if found is None else int(found.expiry_warning_days)
    remembered = None
    if sizes is not None and found is not None:
        version = found.keys_version
        remembered = Remembered(
            sizes,
            ("api_keys", organization_id, version, today, warning),
            lambda: _keys_version(session, organization_id) == version,
        )
    ids, total = page_ids(
        session,
        select(ApiKey.id).where(ApiKey.organization_id == organization_id),
        query,
        key_fields(today, warning),
        tiebreak=ApiKey.id,
        default_sort=(SortKey("creationDate", descending=True),),
        remembered=remembered,
    )
    # Plain rows, not ORM objects: a page is read-only.
    loaded = session.execute(select(*_KEY_COLUMNS).where(ApiKey.id.in_(ids))) if ids else ()
    rows = {r.id: r for r in loaded}
    previous = previous_secrets_valid_until(session, list(rows.values()), now)
    items = [
        view(rows[i], today, warning_days=warning, previous_valid_until=previous.get(i))
        for i in ids
        if i in rows
    ]
    return Page(items, total, query.limit, query.offset)


def summary(session: Session, organization_id: str) -> dict[str, int]:
    """How many keys the organization has, per status."""
    today = clock.today()
    warning = warning_days(session, organization_id)
    by_status = conditions(ApiKey.expiration_date, today, warning)
    total, expiring, expired = session.execute(
        select(
            func.count(),
            func.count().filter(by_status["expiring"]),
            func.count().filter(by_status["expired"]),
        ).where(ApiKey.organization_id == organization_id)
    ).one()
    return {
        "total": total,
        "active": total - expiring - expired,
        "expiring": expiring,
        "expired": expired,
        "warning_days": warning,
    }


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
    expires = _expiration(expiration_date, today, max_lifetime_days)
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
    events.emit(session, organization_id, "api_key.created", {"apiKey": events.key_data(key)})
    return view(key, today, warning_days=warning_days(session, organization_id)), secret


def _expiration(value: str, today: date, max_lifetime_days: int) -> date:
    """An expiration date as creation (and a roll) accept it."""
    expires = date.fromisoformat(value)
    if expires < today:
        raise Invalid("expirationDate", f"must be today ({today.isoformat()}) or later (UTC)")
    latest = today + timedelta(days=max_lifetime_days)
    if expires > latest:
        raise Invalid(
            "expirationDate",
            f"must be at most {max_lifetime_days} days ahead ({latest.isoformat()} or earlier)",
        )
    return expires


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def roll(
    session: Session,
    organization_id: str,
    key_id: str,
    *,
    overlap_hours: int,
    expiration_date: str | None,
    max_lifetime_days: int,
    actor: Actor,
    client: str | None,
) -> tuple[KeyView, str]:
    """Give the key a new secret; the current one works `overlap_hours` more, then is
    refused with `api_key_rolled`. Same id, title, role, email, permissions and resources.
    """
    key = session.scalars(
        select(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.organization_id == organization_id)
        .with_for_update()
    ).one_or_none()
    if key is None:
        raise NotFound("No such API key.")
    now = clock.now()
    today = now.date()
    details: dict[str, Any] = {"overlapHours": overlap_hours}
    if expiration_date is not None:
        expires = _expiration(expiration_date, today, max_lifetime_days)
        if expires != key.expiration_date:
            details["previousExpirationDate"] = key.expiration_date.isoformat()
            details["expirationDate"] = expires.isoformat()
            key.expiration_date = expires
    elif is_expired(key.expiration_date, today):
        raise Invalid(
            "expirationDate",
            f"the key expired at the end of {key.expiration_date.isoformat()}; "
            "give a new expiration date to roll it",
        )
    valid_until = now + timedelta(hours=overlap_hours)
    session.add(
        RetiredSecret(
            secret_digest=key.secret_digest,
            key_id=key.id,
            retired_at=now,
            valid_until=valid_until,
        )
    )
    secret = keys.generate()
    key.secret_digest = keys.digest(secret)
    key.rolled_at = now
    session.flush()
    details["previousSecretValidUntil"] = _instant(valid_until)
    audit.record(
        session,
        organization_id=organization_id,
        actor=actor,
        action="api_key.rolled",
        target_type="apiKey",
        target_id=key.id,
        target_name=key.title,
        client=client,
        details=details,
    )
    events.emit(
        session,
        organization_id,
        "api_key.rolled",
        {
            "apiKey": events.key_data(key),
            "rolledAt": _instant(now),
            "overlapHours": overlap_hours,
            "previousSecretValidUntil": _instant(valid_until),
        },
    )
    return key_view(session, key), secret


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
    deleted = events.key_data(key)
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
    events.emit(
        session,
        organization_id,
        "api_key.deleted",
        {"apiKey": deleted, **ownership.summary(outcome, limit=EVENT_REFS)},
    )
    return outcome


def usage_days(session: Session, organization_id: str, key_id: str, days: int) -> dict[str, Any]:
    """The key's daily counts for the `days` UTC days ending today, zero-filled, oldest
    first; the counts are what the workers have flushed."""
    key = get(session, organization_id, key_id)
    today = clock.today()
    first = today - timedelta(days=days - 1)
    rows = session.execute(
        select(KeyUsage.day, KeyUsage.succeeded, KeyUsage.refused).where(
            KeyUsage.key_id == key.id, KeyUsage.day >= first, KeyUsage.day <= today
        )
    )
    counted = {day: (ok, refused) for day, ok, refused in rows}
    series = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        ok, refused = counted.get(day, (0, 0))
        series.append({"date": day, "succeeded": ok, "refused": refused})
    return {
        "key_id": key.id,
        "days": series,
        "last_used_date": key.last_used_at,
        "last_used_address": key.last_used_address,
    }
