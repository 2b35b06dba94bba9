from __future__ import annotations

from pydantic import Field

from keyhouse.core.schemas import In, Out


class LoginIn(In):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class UserOut(Out):
    id: str
    email: str
    name: str


class OrganizationOut(Out):
    id: str
    name: str
    slug: str


class MembershipOut(Out):
    organization: OrganizationOut
    member_id: str
    role: str


class MeOut(Out):
    user: UserOut
    memberships: list[MembershipOut]


class ConfigOut(Out):
    max_key_lifetime_days: int
    api_key_email_domain: str
