"""The FastAPI application: routers, error handlers, security headers, portal assets."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException

from keyhouse import __version__, usage
from keyhouse.api_keys.router import router as api_keys_router
from keyhouse.audit.router import router as audit_router
from keyhouse.auth.router import public_router as auth_public_router
from keyhouse.auth.router import router as auth_router
from keyhouse.core.config import Settings, get_settings
from keyhouse.core.db import Database
from keyhouse.core.errors import DomainError
from keyhouse.core.http import problems
from keyhouse.core.middleware import GuardMiddleware, security_headers
from keyhouse.core.ratelimit import FailureLimiter
from keyhouse.members.router import router as members_router
from keyhouse.organizations.router import router as organizations_router
from keyhouse.resources.router import router as resources_router
from keyhouse.webhooks.router import router as webhooks_router
from keyhouse.webhooks.worker import WebhookWorker

logger = logging.getLogger("keyhouse")
PORTAL_DIR = Path(__file__).parent / "static" / "portal"
PROBLEM = "application/problem+json"


def problem_response(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://keyhouse.dev/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path") else []
    if not parts:
        return str(loc[0]) if loc else "body"
    text = parts[0]
    for part in parts[1:]:
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind == "missing":
        return "is required"
    if kind == "json_invalid":
        return "is not valid JSON"
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


async def _validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": _field(tuple(e["loc"])), "message": _message(e)} for e in exc.errors()]
    if any(e["loc"] and e["loc"][0] == "path" for e in exc.errors()):
        # /organizations/{orgId}/not-a-kind names nothing that exists.
        return problem_response(404, "not_found", "Not found", "No such resource kind.")
    if any(e["loc"] and e["loc"][0] == "query" for e in exc.errors()):
        first = errors[0]
        return problem_response(
            400,
            "invalid_query",
            "Invalid list query",
            f"{first['field']}: {first['message']}",
            errors=errors,
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, "validation_failed", "Validation failed", detail, errors=errors)


async def _domain_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(
        exc.problem(), status_code=exc.status, media_type=PROBLEM, headers=exc.headers or None
    )


async def _http_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
    }
    code = codes.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, code, str(exc.detail), str(exc.detail), **({}))


async def _data_error_handler(_: Request, exc: Exception) -> JSONResponse:
    # The database refused a value the validators let through (a NUL byte on PostgreSQL).
    return problem_response(
        422,
        "validation_failed",
        "Validation failed",
        "The request contains characters that cannot be stored (for example NUL).",
        errors=[{"field": "body", "message": "contains characters that cannot be stored"}],
    )


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected error: %s", type(exc).__name__, exc_info=exc)
    response = problem_response(
        500, "internal_error", "Internal error", "Something went wrong on our side."
    )
    # Starlette answers this one outside every middleware (the guard's included).
    security_headers(response.headers, request.url.path)
    return response


class Background(Protocol):
    """A service started with the app and stopped with it (a daemon thread)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start every service in `app.state.background`; stop them, newest first, at shutdown."""
    started: list[Background] = []
    # The thread pool every request's database work runs in (core/routing.py).
    settings: Settings = app.state.settings
    threads = settings.threads(sqlite=app.state.db.is_sqlite)
    to_thread.current_default_thread_limiter().total_tokens = threads
    # SQLite reads in WAL mode never wait, and a point read takes less than a thread
    # hand-off: those run on the event loop. A PostgreSQL statement is a network round trip
    # (core/routing.py). Until this runs (an app without its lifespan), none do.
    app.state.inline_point_reads = app.state.db.readers_never_wait()
    try:
        for service in app.state.background:
            service.start()
            started.append(service)
        _freeze_startup_heap()
        yield
    finally:
        gc.unfreeze()
        for service in reversed(started):
            await asyncio.to_thread(service.stop)


def _freeze_startup_heap() -> None:
    """Take what start-up made (modules, the app, its routes and models: objects that live
    as long as the process) out of the cyclic garbage collector's sight.

    A full collection walks every tracked object, and the process holds a few hundred
    thousand after imports: each one stopped every request for 50–70 ms, a couple of times
    a minute under load (the PostgreSQL GET's p99 was 30–54 ms against a p50 of 10 ms).
    Frozen, they are skipped: full collections then take ~2 ms (docs/performance.md).
    No collection first: start-up leaves no garbage (one run right after it found none)
    and would cost ~25 ms. The lifespan unfreezes them at shutdown, so an app stopped in a
    longer-lived process (the tests) leaves nothing uncollectable behind.
    """
    gc.freeze()


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Keyhouse",
        version=__version__,
        description="Manage an organization's API keys, members and resources.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.resolved_database_url(), settings)
    # Each worker's API key usage counts, flushed every few seconds and at shutdown.
    app.state.background = [usage.flusher(app)]
    if settings.webhook_worker:
        app.state.webhook_worker = WebhookWorker(app.state.db, settings)
        app.state.background.append(app.state.webhook_worker)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(DomainError, _domain_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(DataError, _data_error_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
    app.state.auth_limiter = FailureLimiter(
        settings.auth_failure_limit, settings.auth_failure_window_seconds
    )
    app.add_middleware(
        GuardMiddleware,
        trusted_proxies=settings.trusted_proxy_set(),
        max_body_bytes=settings.max_body_bytes,
    )

    @app.get("/healthz", tags=["Meta"])
    def healthz() -> dict[str, str]:
        """Liveness: answers without authentication or database work."""
        return {"status": "ok"}

    # Any route can meet these: a key in the URL or two keys (400), a body that is not
    # JSON or too large (413, 415), bad input (422), too many failed authentications (429).
    common = problems(400, 413, 415, 422, 429)
    for router in (
        # First: key-authenticated clients mostly read resources, and routes are matched in
        # order (its paths match only the four kinds, so it shadows none of the others).
        resources_router,
        auth_public_router,
        auth_router,
        api_keys_router,
        members_router,
        audit_router,
        organizations_router,
        webhooks_router,
    ):
        app.include_router(router, responses=common)
    _mount_portal(app)
    return app


class _PortalPath(PathConvertor):
    """Any path but the API's: an unknown API path is a 404 for every method, never the
    portal's page nor a 405 from its GET-only route."""

    regex = "(?!api/).*"


register_url_convertor("portal_path", _PortalPath())


def _mount_portal(app: FastAPI) -> None:
    index = PORTAL_DIR / "index.html"
    if not index.exists():
        return
    assets = PORTAL_DIR / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.get("/{path:portal_path}", include_in_schema=False)
    def portal(path: str) -> FileResponse:
        candidate = (PORTAL_DIR / path).resolve()
        if path and candidate.is_file() and PORTAL_DIR.resolve() in candidate.parents:
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
