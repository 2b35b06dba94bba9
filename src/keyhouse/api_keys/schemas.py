from __future__ import annotations

import re
from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator

from keyhouse.core.schemas import In, Out
from keyhouse.core.text import check_name

KeyRole = Literal["editor", "viewer"]
KeyStatus = Literal["active", "expired"]
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
        if not _ISO_DATE.fullmatch(value):
            raise ValueError("must be a date written YYYY-MM-DD, without time or timezone")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a real calendar date") from None
        return value


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
    status: KeyStatus
    last_used_date: datetime | None


class KeyCreatedOut(KeyOut):
    secret: str = Field(description="Shown this once; store it now.")
