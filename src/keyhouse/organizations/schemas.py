from __future__ import annotations

from pydantic import Field

from keyhouse.core.schemas import In, Out


class OrgSettingsOut(Out):
    expiry_warning_days: int = Field(
        description="Keys expiring within this many days are `expiring`; "
        "webhooks get `api_key.expiring` when a key enters this window"
    )


class OrgSettingsUpdate(In):
    expiry_warning_days: int | None = Field(default=None, ge=1, le=365, strict=True)
