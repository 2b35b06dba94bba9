from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from keyhouse.core.schemas import In, Out
from keyhouse.core.text import check_name
from keyhouse.webhooks.urls import check_url

EventType = Literal[
    "api_key.created",
    "api_key.rolled",
    "api_key.expiring",
    "api_key.expired",
    "api_key.deleted",
]
DeliveryEventType = Literal[
    "api_key.created",
    "api_key.rolled",
    "api_key.expiring",
    "api_key.expired",
    "api_key.deleted",
    "webhook.test",
]
DeliveryStatus = Literal["pending", "delivered", "failed"]

_URL_DOC = (
    "https:// to any host, or http:// to 127.0.0.0/8, ::1 or localhost only; "
    "no credentials; at most 2000 characters"
)


def _description(value: str) -> str:
    return check_name(value, max_length=500) if value.strip() else ""


def _events(value: list[EventType]) -> list[EventType]:
    if not value:
        raise ValueError("choose at least one event")
    return value


class WebhookCreate(In):
    url: str = Field(max_length=4000, description=_URL_DOC)
    description: str = Field(default="", max_length=1000, description="At most 500 characters")
    events: list[EventType] | None = Field(
        default=None, max_length=20, description="Subscribed event types (default: all)"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("description")
    @classmethod
    def _text(cls, value: str) -> str:
        return _description(value)

    @field_validator("events")
    @classmethod
    def _subscribed(cls, value: list[EventType] | None) -> list[EventType] | None:
        return None if value is None else _events(value)


class WebhookUpdate(In):
    url: str | None = Field(default=None, max_length=4000, description=_URL_DOC)
    description: str | None = Field(default=None, max_length=1000)
    events: list[EventType] | None = Field(default=None, max_length=20)
    active: bool | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)

    @field_validator("description")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _description(value)

    @field_validator("events")
    @classmethod
    def _subscribed(cls, value: list[EventType] | None) -> list[EventType] | None:
        return None if value is None else _events(value)


class LastDeliveryOut(Out):
    status: DeliveryStatus
    at: datetime = Field(description="The last attempt, or when it was queued")
    status_code: int | None


class WebhookOut(Out):
    id: str
    url: str
    description: str
    events: list[EventType]
    active: bool
    created_at: datetime
    created_by: str = Field(description="Name of the administrator who created it")
    last_delivery: LastDeliveryOut | None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret, shown this once; store it now.")


class DeliveryOut(Out):
    id: str
    event_id: str
    event_type: DeliveryEventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None
