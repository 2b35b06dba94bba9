from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from keyhouse.auth.dependencies import AdminOf
from keyhouse.core.db import SessionDep
from keyhouse.core.http import ListParamsDep, client_address, problems
from keyhouse.core.routing import WorkerRoute
from keyhouse.core.schemas import PageOut
from keyhouse.members import service
from keyhouse.members.schemas import MemberUpdate
from keyhouse.resources.params import DeleteResources, TransferTo
from keyhouse.resources.schemas import DeletionOutcomeOut, DeletionPreviewOut, MemberOut

MemberId = Annotated[str, Path(alias="memberId")]

router = APIRouter(
    route_class=WorkerRoute,
    prefix="/api/v1/organizations/{orgId}/members",
    tags=["Members"],
    responses=problems(401, 403, 404),
)


@router.get("", response_model=PageOut[MemberOut], responses=problems(400))
def list_members(admin: AdminOf, session: SessionDep, params: ListParamsDep) -> object:
    """List the organization's members (filter by role with `filter=role:is:editor`)."""
    return service.list_members(session, admin.organization_id, params.parse(service.MEMBER_FIELDS))


@router.get("/{memberId}", response_model=MemberOut)
def get_member(admin: AdminOf, session: SessionDep, member_id: MemberId) -> object:
    """One member."""
    return service.get(session, admin.organization_id, member_id)


@router.patch("/{memberId}", response_model=MemberOut, responses=problems(409, 422))
def change_member_role(
    admin: AdminOf, session: SessionDep, member_id: MemberId, body: MemberUpdate, request: Request
) -> object:
    """Change a member's role."""
    return service.change_role(
        session,
        admin.organization_id,
        member_id,
        body.role,
        actor=admin,
        client=client_address(request),
    )


@router.get("/{memberId}/deletion-preview", response_model=DeletionPreviewOut)
def preview_member_removal(admin: AdminOf, session: SessionDep, member_id: MemberId) -> object:
    """What removing the member would transfer, release and delete."""
    return service.deletion_preview(session, admin.organization_id, member_id)


@router.delete("/{memberId}", response_model=DeletionOutcomeOut, responses=problems(400, 409, 422))
def remove_member(
    admin: AdminOf,
    session: SessionDep,
    member_id: MemberId,
    request: Request,
    transfer_to: TransferTo = None,
    delete_resources: DeleteResources = False,
) -> object:
    """Remove the member; solely owned resources go to `transferTo` or are deleted."""
    return service.remove(
        session,
        admin.organization_id,
        member_id,
        transfer_to=transfer_to,
        delete_resources=delete_resources,
        actor=admin,
        client=client_address(request),
    )
