from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from keyhouse.core.schemas import Out


class ActorOut(Out):
    id: str | None
    type: str
    name: str
    email: str


class AuditEventOut(Out):
    id: str
    occurred_at: datetime
    actor: ActorOut
    action: str
    target_type: str
    target_id: str | None
    target_name: str
    client_address: str | None
    details: dict[str, Any] = Field(default_factory=dict)
