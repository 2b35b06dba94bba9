"""Audit events: written in the same transaction as the change they record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from keyhouse.auth.principal import Principal
from keyhouse.core import clock
from keyhouse.core.db import after_rollback
from keyhouse.core.listing import FieldType, ListField, ListQuery, Page, apply
from keyhouse.models import AuditEvent, User


def record(
    session: Session,
    *,
    organization_id: str | None,
    actor: Principal | None,
    action: str,
    target_type: str,
    target_id: str | None,
    target_name: str,
    client: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        organization_id=organization_id,
        occurred_at=clock.now(),
        actor_id=actor.id if actor else None,
        actor_type=actor.kind if actor else "system",
        actor_name=actor.name if actor else "Keyhouse",
        actor_email=actor.email if actor else "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        target_name=target_name,
        client_address=client,
        details=details or {},
    )
    session.add(event)
    session.flush()
    return event


def record_login(session: Session, *, user: User, client: str | None) -> None:
    session.add(
        AuditEvent(
            organization_id=None,
            occurred_at=clock.now(),
            actor_id=user.id,
            actor_type="user",
            actor_name=user.name,
            actor_email=user.email,
            action="auth.login",
            target_type="user",
            target_id=user.id,
            target_name=user.email,
            client_address=client,
            details={},
        )
    )


def record_login_failure(
    session: Session, *, email: str, user: User | None, client: str | None
) -> None:
    # Failed logins answer 401, which rolls the request back: record after the rollback.
    event: dict[str, Any] = {
        "organization_id": None,
        "occurred_at": clock.now(),
        "actor_id": user.id if user else None,
        "actor_type": "user",
        "actor_name": user.name if user else "",
        "actor_email": email[:320],
        "action": "auth.login_failed",
        "target_type": "user",
        "target_id": user.id if user else None,
        "target_name": email[:200],
        "client_address": client,
        "details": {},
    }
    after_rollback(session, lambda s: s.add(AuditEvent(**event)))


AUDIT_FIELDS: dict[str, ListField] = {
    "occurredAt": ListField("occurredAt", FieldType.DATETIME, (AuditEvent.occurred_at,)),
    "action": ListField("action", FieldType.TEXT, (AuditEvent.action,)),
    "actor": ListField("actor", FieldType.TEXT, (AuditEvent.actor_name, AuditEvent.actor_email)),
    "actorType": ListField(
        "actorType",
        FieldType.ENUM,
        (AuditEvent.actor_type,),
        values=("member", "apiKey", "user", "system"),
    ),
    "targetType": ListField("targetType", FieldType.TEXT, (AuditEvent.target_type,)),
    "targetName": ListField("targetName", FieldType.TEXT, (AuditEvent.target_name,)),
    "targetId": ListField("targetId", FieldType.TEXT, (AuditEvent.target_id,)),
}


def list_events(session: Session, organization_id: str, query: ListQuery) -> Page:
    from keyhouse.core.listing import SortKey

    stmt: Select[Any] = select(AuditEvent).where(AuditEvent.organization_id == organization_id)
    page, count = apply(
        stmt,
        query,
        AUDIT_FIELDS,
        tiebreak=AuditEvent.id,
        default_sort=(SortKey("occurredAt", descending=True),),
    )
    items = list(session.scalars(page))
    total = session.scalar(count) or 0
    return Page(items, total, query.limit, query.offset)
