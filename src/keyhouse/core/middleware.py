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
from starlette.exceptions import HTTPException
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


UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def client_from(scope: Scope, trusted: frozenset[str]) -> str | None:
    """The connection's peer, or, behind a trusted proxy, the nearest untrusted hop."""
    client = scope.get("client")
    peer: str | None = client[0] if client else None
    if peer is None or peer not in trusted:
        return peer
    forwarded: list[str] = []
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded.extend(v.strip() for v in value.decode("latin-1").split(","))
    # Walk from the right: every hop a trusted proxy added is believed, the first
    # untrusted one is the client. Entries further left are the client's own claims.
    for hop in reversed(forwarded):
        if hop and hop not in trusted:
            return hop
    return peer


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _same_origin(scope: Scope, origin: str) -> bool:
    host = _header(scope, b"host")
    if host is None:
        return False
    scheme = scope.get("scheme", "http")
    return origin in (f"{scheme}://{host}", f"https://{host}")


class BodyTooLarge(HTTPException):
    """A body that grew past the limit while streaming in (no Content-Length).

    An HTTPException, not a DomainError: FastAPI turns any other error met while reading
    the body into a 400, and lets only HTTPExceptions through.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"Request bodies are limited to {limit} bytes.")


def security_headers(headers: MutableHeaders, path: str) -> None:
    """The headers every response carries (those already set are kept)."""
    headers.setdefault("Content-Security-Policy", DOCS_CSP if path == "/api/docs" else CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")


class GuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        trusted_proxies: frozenset[str] = frozenset(),
        max_body_bytes: int = 262_144,
    ) -> None:
        self.app = app
        self.trusted = trusted_proxies
        self.max_body = max_body_bytes

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
                security_headers(MutableHeaders(scope=message), path)
            await send(message)

        client = client_from(scope, self.trusted)
        scope.setdefault("state", {})["client_address"] = client
        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                await _problem(send_with_headers, *refusal)
            else:
                await self.app(scope, self._bounded(receive), send_with_headers)
        finally:
            access_log.info(
                '%s "%s %s" %s %.1fms',
                client or "-",
                scope.get("method", "-"),
                path,
                status,
                (time.perf_counter() - started) * 1000,
            )

    def _refusal(self, scope: Scope) -> tuple[int, str, str, str] | None:
        """A problem to answer at once, before any application work."""
        raw_path: bytes = scope.get("raw_path") or scope.get("path", "").encode()
        if b"%00" in raw_path or b"\x00" in raw_path or b"%00" in scope.get("query_string", b""):
            return (400, "invalid_input", "Invalid input", "NUL characters are not accepted.")
        if scope.get("query_string") and key_in_query(scope["query_string"]):
            return (
                400,
                "api_key_in_url",
                "API key in URL",
                "API keys must not be sent in the URL (it ends up in logs and histories); "
                "send it in the 'Api-Key' or 'Authorization: Bearer' header. "
                "Consider this key exposed and replace it.",
            )
        if scope.get("method") not in UNSAFE:
            return None
        origin = _header(scope, b"origin")
        if origin is not None and origin != "null" and not _same_origin(scope, origin):
            return (
                403,
                "origin_mismatch",
                "Cross-origin request refused",
                f"Requests from {origin[:100]} may not change anything here.",
            )
        if origin == "null":
            return (
                403,
                "origin_mismatch",
                "Cross-origin request refused",
                "Requests from an opaque origin may not change anything here.",
            )
        length = _header(scope, b"content-length")
        chunked = "chunked" in (_header(scope, b"transfer-encoding") or "").lower()
        has_body = chunked or (length is not None and length.strip() not in ("", "0"))
        if length is not None and length.strip().isdigit() and int(length) > self.max_body:
            return (
                413,
                "payload_too_large",
                "Request body too large",
                f"Request bodies are limited to {self.max_body} bytes.",
            )
        if has_body and scope.get("path", "").startswith("/api/"):
            media = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
            if media != "application/json" and not media.endswith("+json"):
                return (
                    415,
                    "unsupported_media_type",
                    "Unsupported media type",
                    "Send the body as JSON with 'Content-Type: application/json'.",
                )
        return None

    def _bounded(self, receive: Receive) -> Receive:
        """Refuse bodies that grow past the limit without announcing their length."""
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        return bounded


async def _problem(send: Send, status: int, code: str, title: str, detail: str) -> None:
    body = json.dumps(
        {
            "type": f"https://keyhouse.dev/problems/{code.replace('_', '-')}",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
