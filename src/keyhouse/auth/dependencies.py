"""Authentication and authorization dependencies: every rule about *who* lives here."""

from __future__ import annotations

import secrets
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Path, Request

from keyhouse import usage
from keyhouse.audit import service as audit
from keyhouse.auth import api_key_auth
from keyhouse.auth import service as sessions
from keyhouse.auth.api_key_auth import KeyRefused, VerifiedKey
from keyhouse.auth.principal import Principal
from keyhouse.core.db import (
    UNSAFE_METHODS,
    Database,
    SessionDep,
    after_rollback,
    autocommits,
)
from keyhouse.core.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthenticated,
)
from keyhouse.core.http import client_address
from keyhouse.core.ratelimit import FailureLimiter
from keyhouse.core.routing import in_worker
from keyhouse.members import service as members

SESSION_COOKIE = "kh_session"
CSRF_COOKIE = "kh_csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class Caller:
    kind: Literal["session", "apiKey"]
    user: sessions.SessionUser | None = None
    key: VerifiedKey | None = None


def _presented_key(request: Request) -> str | None:
    # Every line of both headers counts: a repeated header naming two keys is as ambiguous
    # as the two headers naming two keys.
    presented = set(request.headers.getlist("api-key"))
    for authorization in request.headers.getlist("authorization"):
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthenticated(
                "Only 'Authorization: Bearer <key>' or the 'Api-Key' header are accepted.",
                code="api_key_invalid",
            )
        presented.add(value.strip())
    if len(presented) > 1:
        raise BadRequest(
            "Two different API keys were sent; send exactly one.", code="ambiguous_credentials"
        )
    return presented.pop() if presented else None


def authenticate(request: Request, session: SessionDep) -> Caller:
    """The caller, by API key header or by session cookie (then CSRF-checked)."""
    secret = _presented_key(request)
    if secret is not None:
        try:
            key = api_key_auth.verify(session, secret, lock=request.method in UNSAFE_METHODS)
        except Unauthenticated as refusal:
            if isinstance(refusal, KeyRefused):  # a known key: its usage counts the refusal
                usage.counter(request.app).refused(refusal.key_id)
            # Valid keys are never slowed down; only failures count and get limited.
            limit_failures(request)
            raise
        usage.counter(request.app).succeeded(key.id)  # in memory; flushed every few seconds
        return Caller(kind="apiKey", key=key)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        user = sessions.resolve(session, token)
        if user is None:
            raise Unauthenticated("Your session has ended; sign in again.", code="unauthenticated")
        if request.method in UNSAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not secrets.compare_digest(sent.encode(), user.csrf_token.encode()):
                raise Forbidden(f"Missing or wrong {CSRF_HEADER} header.", code="csrf_failed")
        return Caller(kind="session", user=user)
    raise Unauthenticated("Sign in, or send an API key in the 'Api-Key' header.")


def limit_failures(request: Request, *, record: bool = True) -> None:
    """Count a failed authentication; once the limit is used up the client gets 429.

    The limit is the number of failures answered normally: with a limit of 3, three bad
    attempts get 401 and the fourth within the window gets 429.
    """
    limiter: FailureLimiter = request.app.state.auth_limiter
    client = client_address(request) or "unknown"
    retry = limiter.retry_after(client)
    if retry is not None:
        raise TooManyRequests(
            f"Too many failed sign-in or API-key attempts; retry in {retry} s.",
            headers={"Retry-After": str(retry)},
        )
    if record:
        limiter.record_failure(client)


CurrentCaller = Annotated[Caller, Depends(in_worker(authenticate))]


def current_principal(
    org_id: Annotated[str, Path(alias="orgId")], request: Request, session: SessionDep
) -> Principal:
    """The caller as a principal of the organization in the path; 404 when it is not one."""
    # authenticate() called here, not declared as a dependency: one dependency fewer for
    # FastAPI to resolve on every request (each costs more than the key check itself).
    caller = authenticate(request, session)
    if caller.key is not None:
        key = caller.key
        if key.organization_id != org_id:
            raise NotFound("No such organization.")
        if key.touch_due:
            _record_use(request, session, key.id, client_address(request))
        return Principal(
            kind="apiKey",
            id=key.id,
            organization_id=key.organization_id,
            role=key.role,
            name=key.title,
            email=key.email,
        )
    assert caller.user is not None
    member = members.membership(
        session, org_id, caller.user.id, lock=request.method in UNSAFE_METHODS
    )
    if member is None:
        raise NotFound("No such organization.")
    return Principal(
        kind="member",
        id=member.id,
        organization_id=org_id,
        role=member.role,
        name=caller.user.name,
        email=caller.user.email,
        user_id=caller.user.id,
    )


def _record_use(request: Request, session: SessionDep, key_id: str, address: str | None) -> None:
    if request.method in UNSAFE_METHODS:
        # This transaction already holds the write lock; a second one would wait on it.
        api_key_auth.touch(session, key_id, address)
        return
    # Reads stay reads: the bookkeeping write is its own short transaction, best effort. (A
    # PostgreSQL point read's statements each commit on their own: the stamp is one more.)
    db: Database = request.app.state.db
    side = nullcontext(session) if autocommits(session) else db.transaction(write=True)
    # Losing one last-used stamp must not fail the call.
    with suppress(Exception), side as writer:
        api_key_auth.touch(writer, key_id, address)


CurrentPrincipal = Annotated[Principal, Depends(in_worker(current_principal))]


def require_admin(principal: CurrentPrincipal, request: Request, session: SessionDep) -> Principal:
    if principal.is_admin:
        return principal
    if principal.kind == "apiKey":
        detail = "API keys cannot manage the organization; sign in as an administrator."
    else:
        detail = "Only administrators of the organization can do this."
    client = client_address(request)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    after_rollback(
        session,
        lambda s: audit.record(
            s,
            organization_id=principal.organization_id,
            actor=principal,
            action="access.denied",
            target_type="endpoint",
            target_id=None,
            target_name=f"{request.method} {path}"[:200],
            client=client,
        ),
    )
    raise Forbidden(detail)


AdminOf = Annotated[Principal, Depends(in_worker(require_admin))]
