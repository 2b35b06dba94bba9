from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator

from keyhouse.core.schemas import In, Out
from keyhouse.core.text import check_name

KeyRole = Literal["editor", "viewer"]
KeyStatus = Literal["active", "expiring", "expired"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_OVERLAP_HOURS = 72


def _check_date(value: str) -> str:
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD, without time or timezone")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real calendar date") from None
    return value


class KeyCreate(In):
    title: str = Field(max_length=400, description="1–100 characters after trimming")
    expiration_date: str = Field(
        max_length=10,
        json_schema_extra={"format": "date"},
        description="YYYY-MM-DD; today or later (UTC), within the maximum key lifetime",
    )
    role: KeyRole

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return check_name(value, max_length=100)

    @field_validator("expiration_date")
    @classmethod
    def _date(cls, value: str) -> str:
        return _check_date(value)


class KeyRoll(In):
    overlap_hours: int = Field(
        default=0,
        ge=0,
        le=MAX_OVERLAP_HOURS,
        strict=True,
        description="Hours the previous secret keeps working (0: it stops at once)",
    )
    expiration_date: str | None = Field(
        default=None,
        max_length=10,
        json_schema_extra={"format": "date"},
        description="A new expiration date (same rules as at creation); unchanged if absent",
    )

    @field_validator("expiration_date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        return None if value is None else _check_date(value)


class CreatorOut(Out):
    id: str | None
    name: str
    email: str


class KeyOut(Out):
    id: str
    title: str
    role: KeyRole
    email: str
    created_by: CreatorOut
    creation_date: datetime
    expiration_date: date
    status: KeyStatus = Field(
        description="expired after its expiration date; expiring when it expires in fewer "
        "than the organization's warning days (expirationDate - today < warningDays)"
    )
    last_used_date: datetime | None
    last_used_address: str | None = Field(description="Client address of that last use")
    last_rolled_date: datetime | None
    previous_secret_valid_until: datetime | None = Field(
        description="Until when the secret replaced by the latest roll still works (only "
        "while that is in the future)"
    )


class KeyCreatedOut(KeyOut):
    secret: str = Field(description="Shown this once; store it now.")


class KeySummaryOut(Out):
    total: int
    active: int
    expiring: int
    expired: int
    warning_days: int


class UsageDayOut(Out):
    date: date
    succeeded: int
    refused: int


class KeyUsageOut(Out):
    key_id: str
    days: list[UsageDayOut] = Field(description="One entry per UTC day, oldest first, to today")
    last_used_date: datetime | None
    last_used_address: str | None
