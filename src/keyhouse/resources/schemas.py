from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from keyhouse.core.schemas import In, Out
from keyhouse.core.text import check_name

ResourceKind = Literal["datasources", "projects", "layers", "tables"]
PermissionName = Literal["view", "modify", "owner"]
PrincipalType = Literal["member", "apiKey"]


class ResourceRefOut(Out):
    kind: ResourceKind
    id: str
    name: str


class MemberOut(Out):
    id: str
    name: str
    email: str
    role: Literal["administrator", "editor", "viewer"]


class DeletionPreviewOut(Out):
    sole_owned: list[ResourceRefOut]
    co_owned: list[ResourceRefOut]
    dependents: list[ResourceRefOut]
    eligible_recipients: list[MemberOut]


class DeletionOutcomeOut(Out):
    recipient: MemberOut | None
    transferred: list[ResourceRefOut]
    released: list[ResourceRefOut]
    deleted: list[ResourceRefOut]


class PrincipalOut(Out):
    id: str
    type: PrincipalType
    name: str
    email: str


class ResourceOut(Out):
    id: str
    kind: ResourceKind
    name: str
    description: str
    creation_date: datetime
    owners: list[PrincipalOut]
    project_id: str | None = None
    data_source_id: str | None = None


Description = Annotated[str, StringConstraints(max_length=2000)]


class ResourceCreate(In):
    name: str = Field(max_length=400)
    description: Description = ""
    project_id: str | None = Field(default=None, max_length=36)
    data_source_id: str | None = Field(default=None, max_length=36)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, max_length=200)


class ResourceUpdate(In):
    name: str | None = Field(default=None, max_length=400)
    description: Description | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, max_length=200)


class PermissionEntryOut(Out):
    principal: PrincipalOut
    permission: PermissionName


class PermissionsOut(Out):
    entries: list[PermissionEntryOut]


class PermissionEntryIn(In):
    principal_id: str = Field(max_length=36)
    permission: PermissionName


class PermissionsIn(In):
    entries: list[PermissionEntryIn] = Field(max_length=1000)
