from __future__ import annotations

from fastapi import APIRouter

from keyhouse.audit import service
from keyhouse.audit.schemas import AuditEventOut
from keyhouse.auth.dependencies import AdminOf
from keyhouse.core.db import SessionDep
from keyhouse.core.http import ListParamsDep, problems
from keyhouse.core.routing import WorkerRoute
from keyhouse.core.schemas import PageOut

router = APIRouter(
    route_class=WorkerRoute,
    prefix="/api/v1/organizations/{orgId}/audit-events",
    tags=["Audit"],
    responses=problems(401, 403, 404),
)


@router.get("", response_model=PageOut[AuditEventOut], responses=problems(400))
def list_audit_events(admin: AdminOf, session: SessionDep, params: ListParamsDep) -> object:
    """The organization's audit events, newest first."""
    page = service.list_events(session, admin.organization_id, params.parse(service.AUDIT_FIELDS))
    page.items[:] = [
        {
            "id": e.id,
            "occurredAt": e.occurred_at,
            "actor": {
                "id": e.actor_id,
                "type": e.actor_type,
                "name": e.actor_name,
                "email": e.actor_email,
            },
            "action": e.action,
            "targetType": e.target_type,
            "targetId": e.target_id,
            "targetName": e.target_name,
            "clientAddress": e.client_address,
            "details": e.details,
        }
        for e in page.items
    ]
    return page
