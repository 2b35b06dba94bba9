from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from keyhouse import usage
from keyhouse.api_keys import service
from keyhouse.api_keys.schemas import (
    KeyCreate,
    KeyCreatedOut,
    KeyOut,
    KeyRoll,
    KeySummaryOut,
    KeyUsageOut,
)
from keyhouse.auth.dependencies import AdminOf
from keyhouse.core import clock
from keyhouse.core.config import SettingsDep
from keyhouse.core.db import SessionDep
from keyhouse.core.http import ListParamsDep, client_address, problems
from keyhouse.core.routing import WorkerRoute
from keyhouse.core.schemas import PageOut
from keyhouse.resources.params import DeleteResources, TransferTo
from keyhouse.resources.schemas import DeletionOutcomeOut, DeletionPreviewOut

KeyId = Annotated[str, Path(alias="keyId")]

router = APIRouter(
    route_class=WorkerRoute,
    prefix="/api/v1/organizations/{orgId}/api-keys",
    tags=["API keys"],
    responses=problems(401, 403, 404),
)


@router.get("", response_model=PageOut[KeyOut], responses=problems(400))
def list_api_keys(admin: AdminOf, session: SessionDep, params: ListParamsDep) -> object:
    """List the organization's API keys (a page; sortable and filterable)."""
    query = params.parse(service.key_fields(clock.today()))
    return service.list_keys(session, admin.organization_id, query)


@router.post("", status_code=201, response_model=KeyCreatedOut, responses=problems(400, 409, 422))
def create_api_key(
    admin: AdminOf,
    session: SessionDep,
    settings: SettingsDep,
    body: KeyCreate,
    request: Request,
    response: Response,
) -> object:
    """Create an API key; the answer carries its secret, shown this once."""
    view, secret = service.create(
        session,
        admin.organization_id,
        title=body.title,
        expiration_date=body.expiration_date,
        role=body.role,
        creator=admin,
        max_lifetime_days=settings.max_key_lifetime_days,
        email_domain=settings.api_key_email_domain,
        client=client_address(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return {**view.__dict__, "secret": secret}


# Before /{keyId}, which would otherwise take "summary" for a key id.
@router.get("/summary", response_model=KeySummaryOut)
def summarize_api_keys(admin: AdminOf, session: SessionDep) -> object:
    """How many keys the organization has, per status, and its expiry warning in days."""
    return service.summary(session, admin.organization_id)


@router.get("/{keyId}", response_model=KeyOut)
def get_api_key(admin: AdminOf, session: SessionDep, key_id: KeyId) -> object:
    """One API key."""
    return service.key_view(session, service.get(session, admin.organization_id, key_id))


@router.post("/{keyId}/roll", response_model=KeyCreatedOut, responses=problems(422))
def roll_api_key(
    admin: AdminOf,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    key_id: KeyId,
    body: KeyRoll | None = None,
) -> object:
    """Give the key a new secret (shown this once). The previous secret keeps working for
    `overlapHours` (0: not at all), then is refused with `api_key_rolled`."""
    body = body or KeyRoll()
    view, secret = service.roll(
        session,
        admin.organization_id,
        key_id,
        overlap_hours=body.overlap_hours,
        expiration_date=body.expiration_date,
        max_lifetime_days=settings.max_key_lifetime_days,
        actor=admin,
        client=client_address(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return {**view.__dict__, "secret": secret}


@router.get("/{keyId}/usage", response_model=KeyUsageOut, responses=problems(400))
def get_api_key_usage(
    admin: AdminOf,
    session: SessionDep,
    request: Request,
    key_id: KeyId,
    days: Annotated[int, Query(ge=1, le=365, description="UTC days, ending today")] = 30,
) -> object:
    """Requests the key authenticated, and known-key attempts refused (expired, or a
    rolled secret past its overlap), per UTC day."""
    usage.flush(request.app, quiet=True)  # this worker's counts; others flush every few s
    session.commit()  # a new snapshot, which sees what was just flushed
    return service.usage_days(session, admin.organization_id, key_id, days)


@router.get("/{keyId}/deletion-preview", response_model=DeletionPreviewOut)
def preview_api_key_deletion(admin: AdminOf, session: SessionDep, key_id: KeyId) -> object:
    """What deleting the key would transfer, release and delete, and who can receive it."""
    return service.deletion_preview(session, admin.organization_id, key_id)


@router.delete("/{keyId}", response_model=DeletionOutcomeOut, responses=problems(400, 409, 422))
def delete_api_key(
    admin: AdminOf,
    session: SessionDep,
    request: Request,
    key_id: KeyId,
    transfer_to: TransferTo = None,
    delete_resources: DeleteResources = False,
) -> object:
    """Delete the key; its solely owned resources go to `transferTo` or are deleted."""
    return service.delete_key(
        session,
        admin.organization_id,
        key_id,
        transfer_to=transfer_to,
        delete_resources=delete_resources,
        actor=admin,
        client=client_address(request),
    )
