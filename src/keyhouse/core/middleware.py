"""A pure-ASGI guard around every request: keys in URLs, security headers, access log.

The access log writes the path without its query string, so nothing a client put in a
URL (a key pasted by mistake, say) ever reaches the logs.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from keyhouse.auth.keys import looks_like_key

access_log = logging.getLogger("keyhouse.access")

KEY_PARAM_NAMES = frozenset(
    {"api_key", "apikey", "api-key", "key", "token", "access_token", "secret", "bearer"}
)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI's page is FastAPI's: an inline bootstrap script and assets from its CDN.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: "
    "https://fastapi.tiangolo.com; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def key_in_query(query_string: bytes) -> bool:
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name.lower() in KEY_PARAM_NAMES or looks_like_key(value) or looks_like_key(name):
            return True
    return False


class GuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.setdefault(
                    "Content-Security-Policy", DOCS_CSP if path == "/api/docs" else CSP
                )
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Frame-Options", "DENY")
                if path.startswith("/api/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            if scope.get("query_string") and key_in_query(scope["query_string"]):
                await _refuse_key_in_url(send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            client = scope.get("client")
            access_log.info(
                '%s "%s %s" %s %.1fms',
                client[0] if client else "-",
                scope.get("method", "-"),
                path,
                status,
                (time.perf_counter() - started) * 1000,
            )


async def _refuse_key_in_url(send: Send) -> None:
    body = json.dumps(
        {
            "type": "https://keyhouse.dev/problems/api-key-in-url",
            "title": "API key in URL",
            "status": 400,
            "detail": "API keys must not be sent in the URL (it ends up in logs and histories); "
            "send it in the 'Api-Key' or 'Authorization: Bearer' header. "
            "Consider this key exposed and replace it.",
            "code": "api_key_in_url",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
