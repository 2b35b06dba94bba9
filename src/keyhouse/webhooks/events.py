"""Emitting webhook events: one outbox row per subscribed webhook, in the caller's
transaction, so an event exists exactly when the change it describes was committed.
Delivery (signing, sending, retrying) happens later, outside any request."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from keyhouse.core import clock
from keyhouse.models import Webhook, WebhookDelivery

EVENT_TYPES = (
    "api_key.created",
    "api_key.rolled",
    "api_key.expiring",
    "api_key.expired",
    "api_key.deleted",
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
    body = json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "createdAt": now.isoformat().replace("+00:00", "Z"),
            "organizationId": organization_id,
            "data": data,
        },
        separators=(",", ":"),
        sort_keys=True,
        default=str,
    )
    for webhook_id in targets:
        session.add(
            WebhookDelivery(
                webhook_id=webhook_id,
                organization_id=organization_id,
                event_id=event_id,
                event_type=event_type,
                body=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.flush()
    return len(targets)
