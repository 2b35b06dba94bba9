from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from keyhouse.auth import service
from keyhouse.auth.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentCaller,
    limit_failures,
)
from keyhouse.auth.schemas import ConfigOut, LoginIn, MeOut
from keyhouse.core.config import SettingsDep
from keyhouse.core.db import SessionDep
from keyhouse.core.errors import Forbidden, Unauthenticated
from keyhouse.core.http import client_address, problems
from keyhouse.core.routing import WorkerRoute

# Deliberately public: signing in and reading the portal's settings need no credentials.
public_router = APIRouter(prefix="/api/v1", tags=["Authentication"], route_class=WorkerRoute)
router = APIRouter(
    prefix="/api/v1/auth",
    tags=["Authentication"],
    responses=problems(401),
    route_class=WorkerRoute,
)


def _me(session: Session, user_id: str, email: str, name: str) -> dict[str, object]:
    return {
        "user": {"id": user_id, "email": email, "name": name},
        "memberships": [
            {
                "organization": {
                    "id": m.organization_id,
                    "name": m.organization_name,
                    "slug": m.organization_slug,
                },
                "memberId": m.member_id,
                "role": m.role,
            }
            for m in service.memberships(session, user_id)
        ],
    }


@public_router.post(
    "/auth/login", response_model=MeOut, responses=problems(401, 422), tags=["Authentication"]
)
def login(
    body: LoginIn,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> object:
    """Sign in with email and password; sets the session and CSRF cookies."""
    lifetime = timedelta(hours=settings.session_lifetime_hours)
    limit_failures(request, record=False)
    try:
        token, csrf, user = service.login(
            session, body.email, body.password, lifetime=lifetime, client=client_address(request)
        )
    except Unauthenticated:
        limit_failures(request)
        raise
    secure = settings.cookie_secure or request.url.scheme == "https"
    max_age = int(lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="lax", secure=secure
    )
    response.headers["Cache-Control"] = "no-store"
    return _me(session, user.id, user.email, user.name)


@public_router.get("/config", response_model=ConfigOut, tags=["Meta"])
def portal_config(settings: SettingsDep) -> object:
    """Settings the portal needs (maximum key lifetime, key email domain)."""
    return {
        "maxKeyLifetimeDays": settings.max_key_lifetime_days,
        "apiKeyEmailDomain": settings.api_key_email_domain,
    }


@router.get("/me", response_model=MeOut, responses=problems(403))
def me(caller: CurrentCaller, session: SessionDep, response: Response) -> object:
    """The signed-in user and their memberships."""
    if caller.user is None:
        raise Forbidden("API keys have no user; /auth/me is for portal sessions.")
    response.headers["Cache-Control"] = "no-store"
    return _me(session, caller.user.id, caller.user.email, caller.user.name)


@router.post("/logout", status_code=204, response_class=Response, responses=problems(403))
def logout(caller: CurrentCaller, session: SessionDep, request: Request) -> Response:
    """End the session and clear its cookies."""
    token = request.cookies.get(SESSION_COOKIE)
    if caller.user is not None and token:
        service.logout(session, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response
