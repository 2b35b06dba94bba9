from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Path, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from keyhouse.auth.dependencies import CurrentPrincipal
from keyhouse.core.db import SessionDep
from keyhouse.core.http import ListParamsDep, client_address, problems
from keyhouse.core.routing import WorkerRoute, point_read
from keyhouse.core.schemas import PageOut
from keyhouse.resources import service
from keyhouse.resources.schemas import (
    PermissionsIn,
    PermissionsOut,
    ResourceCreate,
    ResourceKind,
    ResourceOut,
    ResourceUpdate,
)


class _KindConvertor(Convertor[str]):
    """Only the four resource kinds match `{kind}`: the resource routes then shadow no
    other route and can be matched first (they carry most key-authenticated traffic)."""

    regex = "|".join(get_args(ResourceKind))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("resource_kind", _KindConvertor())

KIND = "/{kind:resource_kind}"  # the kind segment: only the four kinds match
ONE = KIND + "/{resourceId}"
Kind = Annotated[ResourceKind, Path(description="datasources, projects, layers or tables")]
ResourceId = Annotated[str, Path(alias="resourceId")]

router = APIRouter(
    route_class=WorkerRoute,
    prefix="/api/v1/organizations/{orgId}",
    tags=["Resources"],
    responses=problems(401, 403, 404),
)


@router.get(KIND, response_model=PageOut[ResourceOut], responses=problems(400))
def list_resources(
    principal: CurrentPrincipal, session: SessionDep, kind: Kind, params: ListParamsDep
) -> object:
    """List the resources of one kind that the caller can see."""
    return service.list_resources(session, principal, kind, params.parse(service.RESOURCE_FIELDS))


@router.post(KIND, status_code=201, response_model=ResourceOut, responses=problems(422))
def create_resource(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: Kind,
    body: ResourceCreate,
    request: Request,
) -> object:
    """Create a resource; the caller becomes its owner."""
    return service.create(
        session,
        principal,
        kind,
        name=body.name,
        description=body.description,
        project_id=body.project_id,
        data_source_id=body.data_source_id,
        client=client_address(request),
    )


@router.get(ONE, response_model=ResourceOut)
@point_read
def get_resource(
    principal: CurrentPrincipal, session: SessionDep, kind: Kind, resource_id: ResourceId
) -> object:
    """One resource, with its owners."""
    return service.get(session, principal, kind, resource_id)


@router.patch(ONE, response_model=ResourceOut, responses=problems(422))
def update_resource(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: Kind,
    resource_id: ResourceId,
    body: ResourceUpdate,
) -> object:
    """Rename or describe a resource (needs modify)."""
    return service.update(
        session, principal, kind, resource_id, name=body.name, description=body.description
    )


@router.delete(ONE, status_code=204, response_class=Response)
def delete_resource(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: Kind,
    resource_id: ResourceId,
    request: Request,
) -> Response:
    """Delete a resource and what depends on it (needs owner)."""
    service.delete_resource(session, principal, kind, resource_id, client=client_address(request))
    return Response(status_code=204)


@router.get(ONE + "/permissions", response_model=PermissionsOut)
def get_permissions(
    principal: CurrentPrincipal, session: SessionDep, kind: Kind, resource_id: ResourceId
) -> object:
    """Who holds which permission on a resource."""
    return {"entries": service.get_permissions(session, principal, kind, resource_id)}


@router.put(ONE + "/permissions", response_model=PermissionsOut, responses=problems(422))
def put_permissions(
    principal: CurrentPrincipal,
    session: SessionDep,
    kind: Kind,
    resource_id: ResourceId,
    body: PermissionsIn,
    request: Request,
) -> object:
    """Replace all permission entries (owner or administrator; one owner at least)."""
    entries = [(e.principal_id, e.permission) for e in body.entries]
    return {
        "entries": service.put_permissions(
            session, principal, kind, resource_id, entries, client=client_address(request)
        )
    }
