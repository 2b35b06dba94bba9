"""Webhooks of an organization: create, list, change, delete, test; the delivery log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from keyhouse.audit import service as audit
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.errors import Conflict, NotFound
from keyhouse.core.listing import FieldType, ListField, ListQuery, Page, SortKey, apply
from keyhouse.models import Organization, Webhook, WebhookDelivery
from keyhouse.webhooks import events as webhook_events
from keyhouse.webhooks.signing import generate_secret

MAX_WEBHOOKS_PER_ORGANIZATION = 20
DELIVERY_STATUSES = ("pending", "delivered", "failed")

WEBHOOK_FIELDS: dict[str, ListField] = {
    "url": ListField("url", FieldType.TEXT, (Webhook.url,)),
    "createdAt": ListField("createdAt", FieldType.DATETIME, (Webhook.created_at,)),
}

DELIVERY_FIELDS: dict[str, ListField] = {
    "eventType": ListField(
        "eventType",
        FieldType.ENUM,
        (WebhookDelivery.event_type,),
        values=webhook_events.DELIVERY_EVENT_TYPES,
    ),
    "status": ListField(
        "status", FieldType.ENUM, (WebhookDelivery.status,), values=DELIVERY_STATUSES
    ),
    "createdAt": ListField("createdAt", FieldType.DATETIME, (WebhookDelivery.created_at,)),
}


def canonical_events(chosen: list[str] | None) -> list[str]:
    """The subscribed types in the documented order, each once; all of them by default."""
    if chosen is None:
        return list(webhook_events.EVENT_TYPES)
    return [t for t in webhook_events.EVENT_TYPES if t in set(chosen)]


def _display_url(url: str) -> str:
    """The URL without its query (which may carry a receiver's token), for the audit log."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"[:200]


def _last_deliveries(session: Session, webhook_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not webhook_ids:
        return {}
    ranked = (
        select(
            WebhookDelivery.webhook_id,
            WebhookDelivery.status,
            WebhookDelivery.created_at,
            WebhookDelivery.last_attempt_at,
            WebhookDelivery.last_status_code,
            func.row_number()
            .over(
                partition_by=WebhookDelivery.webhook_id,
                order_by=(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()),
            )
            .label("rank"),
        )
        .where(WebhookDelivery.webhook_id.in_(webhook_ids))
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.rank == 1)).all()
    return {
        r.webhook_id: {
            "status": r.status,
            "at": r.last_attempt_at or r.created_at,
            "status_code": r.last_status_code,
        }
        for r in rows
    }


def _view(hook: Webhook, last: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": hook.id,
        "url": hook.url,
        "description": hook.description,
        "events": canonical_events(list(hook.events or [])),
        "active": hook.active,
        "created_at": hook.created_at,
        "created_by": hook.created_by_name,
        "last_delivery": last,
    }


def view(session: Session, hook: Webhook) -> dict[str, Any]:
    return _view(hook, _last_deliveries(session, [hook.id]).get(hook.id))


def list_webhooks(session: Session, organization_id: str, query: ListQuery) -> Page:
    stmt: Select[Any] = select(Webhook).where(Webhook.organization_id == organization_id)
    page, count = apply(
        stmt,
        query,
        WEBHOOK_FIELDS,
        tiebreak=Webhook.id,
        default_sort=(SortKey("createdAt", descending=True),),
    )
    hooks = list(session.scalars(page))
    last = _last_deliveries(session, [h.id for h in hooks])
    items = [_view(h, last.get(h.id)) for h in hooks]
    return Page(items, session.scalar(count) or 0, query.limit, query.offset)


def get(session: Session, organization_id: str, webhook_id: str) -> Webhook:
    hook = session.scalars(
        select(Webhook).where(Webhook.id == webhook_id, Webhook.organization_id == organization_id)
    ).one_or_none()
    if hook is None:
        raise NotFound("No such webhook.")
    return hook


def create(
    session: Session,
    organization_id: str,
    *,
    url: str,
    description: str,
    events: list[str] | None,
    actor: Actor,
    client: str | None,
) -> tuple[dict[str, Any], str]:
    """A new webhook and its signing secret (shown this once)."""
    # Serializes creations in the organization, so the limit holds under concurrency.
    session.execute(
        select(Organization.id).where(Organization.id == organization_id).with_for_update()
    )
    existing = session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.organization_id == organization_id)
    )
    if (existing or 0) >= MAX_WEBHOOKS_PER_ORGANIZATION:
        raise Conflict(
            f"An organization can have at most {MAX_WEBHOOKS_PER_ORGANIZATION} webhooks; "
            "delete one first.",
            code="webhook_limit_reached",
        )
    secret = generate_secret()
    hook = Webhook(
        organization_id=organization_id,
        url=url,
        description=description,
        secret=secret,
        events=canonical_events(events),
        active=True,
        created_at=clock.now(),
        created_by_name=actor.name,
    )
    session.add(hook)
    session.flush()
    audit.record(
        session,
        organization_id=organization_id,
        actor=actor,
        action="webhook.created",
        target_type="webhook",
        target_id=hook.id,
        target_name=_display_url(hook.url),
        client=client,
        details={"events": hook.events},
    )
    return _view(hook, None), secret


def update(
    session: Session,
    organization_id: str,
    webhook_id: str,
    *,
    url: str | None,
    description: str | None,
    events: list[str] | None,
    active: bool | None,
    actor: Actor,
    client: str | None,
) -> dict[str, Any]:
    hook = get(session, organization_id, webhook_id)
    changes: dict[str, Any] = {}
    if url is not None and url != hook.url:
        changes["url"] = {"from": _display_url(hook.url), "to": _display_url(url)}
        hook.url = url
    if description is not None and description != hook.description:
        changes["description"] = {"from": hook.description, "to": description}
        hook.description = description
    if events is not None:
        wanted = canonical_events(events)
        if wanted != list(hook.events or []):
            changes["events"] = {"from": list(hook.events or []), "to": wanted}
            hook.events = wanted
    if active is not None and active != hook.active:
        changes["active"] = {"from": hook.active, "to": active}
        hook.active = active
    if changes:
        session.flush()
        audit.record(
            session,
            organization_id=organization_id,
            actor=actor,
            action="webhook.updated",
            target_type="webhook",
            target_id=hook.id,
            target_name=_display_url(hook.url),
            client=client,
            details=changes,
        )
    return view(session, hook)


def delete(
    session: Session, organization_id: str, webhook_id: str, *, actor: Actor, client: str | None
) -> None:
    hook = get(session, organization_id, webhook_id)
    name = _display_url(hook.url)
    # Its deliveries go with it (ON DELETE CASCADE): the log, and whatever was still queued.
    session.delete(hook)
    session.flush()
    audit.record(
        session,
        organization_id=organization_id,
        actor=actor,
        action="webhook.deleted",
        target_type="webhook",
        target_id=webhook_id,
        target_name=name,
        client=client,
    )


def delivery_view(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "last_attempt_at": d.last_attempt_at,
        "delivered_at": d.delivered_at,
        "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
    }


def list_deliveries(
    session: Session, organization_id: str, webhook_id: str, query: ListQuery
) -> Page:
    hook = get(session, organization_id, webhook_id)
    stmt: Select[Any] = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    page, count = apply(
        stmt,
        query,
        DELIVERY_FIELDS,
        tiebreak=WebhookDelivery.id,
        default_sort=(SortKey("createdAt", descending=True),),
    )
    items = [delivery_view(d) for d in session.scalars(page)]
    return Page(items, session.scalar(count) or 0, query.limit, query.offset)


def send_test(
    session: Session, organization_id: str, webhook_id: str, *, actor: Actor
) -> dict[str, Any]:
    """Queue a `webhook.test` event for the webhook; the worker sends it within seconds."""
    hook = get(session, organization_id, webhook_id)
    return delivery_view(webhook_events.queue_test(session, hook, requested_by=actor.name))
