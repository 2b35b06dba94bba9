from __future__ import annotations

from fastapi import APIRouter, Request

from keyhouse.auth.dependencies import AdminOf
from keyhouse.core.db import SessionDep
from keyhouse.core.http import client_address, problems
from keyhouse.core.routing import WorkerRoute
from keyhouse.organizations import service
from keyhouse.organizations.schemas import OrgSettingsOut, OrgSettingsUpdate

router = APIRouter(
    route_class=WorkerRoute,
    prefix="/api/v1/organizations/{orgId}/settings",
    tags=["Organization"],
    responses=problems(401, 403, 404),
)


def _out(expiry_warning_days: int) -> OrgSettingsOut:
    return OrgSettingsOut(expiry_warning_days=expiry_warning_days)


@router.get("", response_model=OrgSettingsOut)
def get_organization_settings(admin: AdminOf, session: SessionDep) -> object:
    """The organization's settings."""
    return _out(service.settings_of(session, admin.organization_id).expiry_warning_days)


@router.patch("", response_model=OrgSettingsOut, responses=problems(422))
def update_organization_settings(
    admin: AdminOf, session: SessionDep, body: OrgSettingsUpdate, request: Request
) -> object:
    """Change the organization's settings (`expiryWarningDays`, 1–365)."""
    org = service.update_settings(
        session,
        admin.organization_id,
        expiry_warning_days=body.expiry_warning_days,
        actor=admin,
        client=client_address(request),
    )
    return _out(org.expiry_warning_days)
