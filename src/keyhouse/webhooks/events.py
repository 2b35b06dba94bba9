"""Emitting webhook events: one outbox row per subscribed webhook, in the caller's
transaction, so an event exists exactly when the change it describes was committed.
Delivery (signing, sending, retrying) happens later, outside any request."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyhouse.core import clock
from keyhouse.models import ApiKey, Webhook, WebhookDelivery

# What a webhook can subscribe to.
EVENT_TYPES = (
    "api_key.created",
    "api_key.rolled",
    "api_key.expiring",
    "api_key.expired",
    "api_key.deleted",
)
# Sent to one webhook on request (`POST .../webhooks/{id}/test`); never subscribed to.
TEST_EVENT = "webhook.test"
DELIVERY_EVENT_TYPES = (*EVENT_TYPES, TEST_EVENT)


def _instant(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def event_body(
    event_id: str, event_type: str, at: datetime, organization_id: str, data: dict[str, Any]
) -> str:
    """The exact JSON text sent (and signed): compact, keys sorted."""
    return json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "createdAt": _instant(at),
            "organizationId": organization_id,
            "data": data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )


def key_data(key: ApiKey | Any) -> dict[str, Any]:
    """An API key as event data (`data.apiKey`): never its secret or digest."""
    expiration: date = key.expiration_date
    return {
        "id": key.id,
        "title": key.title,
        "role": key.role,
        "email": key.email,
        "expirationDate": expiration.isoformat(),
        "createdBy": {
            "id": key.created_by_id,
            "name": key.created_by_name,
            "email": key.created_by_email,
        },
    }


def _delivery(
    webhook_id: str, organization_id: str, event_id: str, event_type: str, body: str, now: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        webhook_id=webhook_id,
        organization_id=organization_id,
        event_id=event_id,
        event_type=event_type,
        body=body,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        extra={},
    )


def emit(session: Session, organization_id: str, event_type: str, data: dict[str, Any]) -> int:
    """Queue `event_type` for every active webhook of the organization subscribed to it.

    Returns how many deliveries were queued.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type}")
    hooks = session.execute(
        select(Webhook.id, Webhook.events).where(
            Webhook.organization_id == organization_id, Webhook.active.is_(True)
        )
    ).all()
    targets = [h.id for h in hooks if event_type in (h.events or [])]
    if not targets:
        return 0
    now = clock.now()
    event_id = str(uuid.uuid4())
    body = event_body(event_id, event_type, now, organization_id, data)
    for webhook_id in targets:
        session.add(_delivery(webhook_id, organization_id, event_id, event_type, body, now))
    session.flush()
    return len(targets)


def queue_test(session: Session, webhook: Webhook, *, requested_by: str) -> WebhookDelivery:
    """A `webhook.test` event for this one webhook (sent even while it is inactive)."""
    now = clock.now()
    event_id = str(uuid.uuid4())
    data = {
        "webhook": {"id": webhook.id, "url": webhook.url},
        "requestedBy": requested_by,
        "message": "A test event from Keyhouse: your endpoint received and can verify it.",
    }
    body = event_body(event_id, TEST_EVENT, now, webhook.organization_id, data)
    delivery = _delivery(webhook.id, webhook.organization_id, event_id, TEST_EVENT, body, now)
    session.add(delivery)
    session.flush()
    return delivery
