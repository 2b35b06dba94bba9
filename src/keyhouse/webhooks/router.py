from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from keyhouse.auth.dependencies import AdminOf
from keyhouse.core.db import SessionDep
from keyhouse.core.http import ListParamsDep, client_address, problems
from keyhouse.core.routing import WorkerRoute
from keyhouse.core.schemas import PageOut
from keyhouse.webhooks import service
from keyhouse.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookCreatedOut,
    WebhookOut,
    WebhookUpdate,
)

WebhookId = Annotated[str, Path(alias="webhookId", max_length=64)]

router = APIRouter(
    route_class=WorkerRoute,
    prefix="/api/v1/organizations/{orgId}/webhooks",
    tags=["Webhooks"],
    responses=problems(401, 403, 404),
)


@router.get("", response_model=PageOut[WebhookOut], responses=problems(400))
def list_webhooks(admin: AdminOf, session: SessionDep, params: ListParamsDep) -> object:
    """The organization's webhooks (sort and filter by `url`, `createdAt`)."""
    query = params.parse(service.WEBHOOK_FIELDS)
    return service.list_webhooks(session, admin.organization_id, query)


@router.post("", status_code=201, response_model=WebhookCreatedOut, responses=problems(409, 422))
def create_webhook(
    admin: AdminOf, session: SessionDep, body: WebhookCreate, request: Request, response: Response
) -> object:
    """Create a webhook; the answer carries its signing secret, shown this once."""
    view, secret = service.create(
        session,
        admin.organization_id,
        url=body.url,
        description=body.description,
        events=list(body.events) if body.events is not None else None,
        actor=admin,
        client=client_address(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return {**view, "secret": secret}


@router.get("/{webhookId}", response_model=WebhookOut)
def get_webhook(admin: AdminOf, session: SessionDep, webhook_id: WebhookId) -> object:
    """One webhook (never its secret)."""
    return service.view(session, service.get(session, admin.organization_id, webhook_id))


@router.patch("/{webhookId}", response_model=WebhookOut, responses=problems(422))
def update_webhook(
    admin: AdminOf,
    session: SessionDep,
    webhook_id: WebhookId,
    body: WebhookUpdate,
    request: Request,
) -> object:
    """Change a webhook's URL, description, events, or pause it (`active: false`)."""
    return service.update(
        session,
        admin.organization_id,
        webhook_id,
        url=body.url,
        description=body.description,
        events=list(body.events) if body.events is not None else None,
        active=body.active,
        actor=admin,
        client=client_address(request),
    )


@router.delete("/{webhookId}", status_code=204, response_class=Response)
def delete_webhook(
    admin: AdminOf, session: SessionDep, webhook_id: WebhookId, request: Request
) -> Response:
    """Delete a webhook with its delivery log; queued deliveries are dropped."""
    service.delete(
        session, admin.organization_id, webhook_id, actor=admin, client=client_address(request)
    )
    return Response(status_code=204)


@router.get("/{webhookId}/deliveries", response_model=PageOut[DeliveryOut], responses=problems(400))
def list_webhook_deliveries(
    admin: AdminOf, session: SessionDep, webhook_id: WebhookId, params: ListParamsDep
) -> object:
    """The webhook's delivery log, newest first (filter by `eventType`, `status`, `createdAt`)."""
    query = params.parse(service.DELIVERY_FIELDS)
    return service.list_deliveries(session, admin.organization_id, webhook_id, query)


@router.post("/{webhookId}/test", status_code=202, response_model=DeliveryOut)
def test_webhook(admin: AdminOf, session: SessionDep, webhook_id: WebhookId) -> object:
    """Queue a `webhook.test` event for this webhook (sent even while it is paused)."""
    return service.send_test(session, admin.organization_id, webhook_id, actor=admin)
