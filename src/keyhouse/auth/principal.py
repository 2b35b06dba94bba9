"""Who is calling, once authenticated and placed in an organization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PrincipalKind = Literal["member", "apiKey"]


@dataclass(frozen=True, slots=True)
class Principal:
    kind: PrincipalKind
    id: str  # the member's or the key's id (also its principal id)
    organization_id: str
    role: str
    name: str
    email: str
    user_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "member" and self.role == "administrator"

    @property
    def can_own(self) -> bool:
        return self.role in ("editor", "administrator")
