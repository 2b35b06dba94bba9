"""Domain errors and the one place that turns them into RFC 9457 problem JSON."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra or {}
        self.headers = headers or {}

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://keyhouse.dev/problems/{self.code.replace('_', '-')}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        body.update(self.extra)
        return body


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    title = "Bad request"


class InvalidQuery(DomainError):
    status = 400
    code = "invalid_query"
    title = "Invalid list query"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Authentication required"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": 'Bearer realm="keyhouse"'})


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Invalid(DomainError):
    """A field broke a rule; answered like request validation errors."""

    status = 422
    code = "validation_failed"
    title = "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"{field}: {message}", extra={"errors": [{"field": field, "message": message}]}
        )


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"
