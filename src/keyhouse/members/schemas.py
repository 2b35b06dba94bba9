from __future__ import annotations

from typing import Literal

from keyhouse.core.schemas import In

MemberRole = Literal["administrator", "editor", "viewer"]


class MemberUpdate(In):
    role: MemberRole
