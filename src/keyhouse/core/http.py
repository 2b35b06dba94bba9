"""HTTP plumbing shared by routers: list parameters, client address, problem responses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request

from keyhouse.core.listing import MAX_LIMIT, ListParams
from keyhouse.core.schemas import Out


async def list_params(
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_LIMIT, description="Page size, 1–100 (default 25)")
    ] = None,
    offset: Annotated[int | None, Query(ge=0, le=10_000_000, description="Items to skip")] = None,
    sort: Annotated[
        str | None,
        Query(max_length=200, description="`field` or `-field` (descending); comma-separated"),
    ] = None,
    filter: Annotated[
        list[str] | None,
        Query(
            max_length=10,
            description="`field:operator:value`, repeatable (AND). MUI X Data Grid operators.",
        ),
    ] = None,
) -> ListParams:
    # async: no I/O here, so no thread-pool call (core/routing.py)
    return ListParams(
        limit=None if limit is None else str(limit),
        offset=None if offset is None else str(offset),
        sort=sort,
        filters=tuple(filter or ()),
    )


ListParamsDep = Annotated[ListParams, Depends(list_params)]


def client_address(request: Request) -> str | None:
    resolved = getattr(request.state, "client_address", None)
    if resolved:
        return str(resolved)
    return request.client.host if request.client else None


class FieldErrorOut(Out):
    field: str
    message: str


class ProblemOut(Out):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldErrorOut] | None = None


_DESCRIPTIONS = {
    400: "Bad request (e.g. invalid_query, api_key_in_url)",
    401: "Not authenticated (unauthenticated, api_key_invalid, api_key_expired)",
    403: "Forbidden (forbidden, csrf_failed)",
    404: "Not found, or another organization's",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed (validation_failed with errors)",
    429: "Too many requests",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {
            "model": ProblemOut,
            "description": _DESCRIPTIONS[s],
            "content": {"application/problem+json": {}},
        }
        for s in statuses
    }
