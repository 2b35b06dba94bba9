"""Resources and their permission entries, honouring roles and permission levels."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, func, insert, select, true
from sqlalchemy.orm import Session

from keyhouse.audit import service as audit
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.errors import Forbidden, Invalid, NotFound
from keyhouse.core.listing import FieldType, ListField, ListQuery, Page, SortKey, apply
from keyhouse.core.prepared import Prepared
from keyhouse.models import (
    DEPENDENT_KINDS,
    MODIFY,
    OWNER,
    PERMISSION_LEVELS,
    PERMISSION_NAMES,
    VIEW,
    ApiKey,
    Member,
    Permission,
    Principal,
    Resource,
    User,
)

KIND_LABEL = {
    "datasources": "data source",
    "projects": "project",
    "layers": "layer",
    "tables": "table",
}


@dataclass(frozen=True)
class PrincipalInfo:
    id: str
    type: str
    name: str
    email: str
    role: str


@dataclass
class ResourceView:
    id: str
    kind: str
    name: str
    description: str
    creation_date: datetime
    project_id: str | None
    data_source_id: str | None
    owners: list[PrincipalInfo] = field(default_factory=list)


RESOURCE_FIELDS: dict[str, ListField] = {
    "name": ListField("name", FieldType.TEXT, (Resource.name,)),
    "description": ListField("description", FieldType.TEXT, (Resource.description,)),
    "id": ListField("id", FieldType.TEXT, (Resource.id,), lowered=True),
    "creationDate": ListField("creationDate", FieldType.DATETIME, (Resource.created_at,)),
}


def _visible(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return exists().where(
        Permission.resource_id == Resource.id, Permission.principal_id == actor.id
    )


# Plain table columns, not ORM attributes: Core statements, compiled once and cached, and
# rows instead of ORM objects (a resource GET is the hot path of key-authenticated reads).
_RESOURCE = Resource.__table__.c
_ENTRY = Permission.__table__.c
_PRINCIPAL = Principal.__table__.c
_MEMBER = Member.__table__.c
_USER = User.__table__.c
_KEY = ApiKey.__table__.c
_RESOURCE_COLUMNS = (
    _RESOURCE.id,
    _RESOURCE.kind,
    _RESOURCE.name,
    _RESOURCE.description,
    _RESOURCE.created_at,
    _RESOURCE.project_id,
    _RESOURCE.data_source_id,
)
_PRINCIPAL_COLUMNS = (
    _PRINCIPAL.id,
    _PRINCIPAL.kind,
    _USER.name,
    _USER.email,
    _MEMBER.role,
    _KEY.title,
    _KEY.email.label("key_email"),
    _KEY.role.label("key_role"),
)


def _with_principals(stmt: Any) -> Any:
    """`stmt` joined to what names a principal: a member's user, or a key."""
    return (
        stmt.outerjoin(Member.__table__, _MEMBER.id == _PRINCIPAL.id)
        .outerjoin(User.__table__, _USER.id == _MEMBER.user_id)
        .outerjoin(ApiKey.__table__, _KEY.id == _PRINCIPAL.id)
    )


def _info(values: Sequence[Any]) -> PrincipalInfo:
    """From values in `_PRINCIPAL_COLUMNS` order."""
    id_, kind, name, email, role, title, key_email, key_role = values
    if kind == "member":
        return PrincipalInfo(id_, "member", name, email, role)
    return PrincipalInfo(id_, "apiKey", title, key_email, key_role)


def _by_name(owners: list[PrincipalInfo]) -> list[PrincipalInfo]:
    owners.sort(key=lambda p: (p.name.lower(), p.id))
    return owners


def principals_info(session: Session, ids: list[str]) -> dict[str, PrincipalInfo]:
    if not ids:
        return {}
    stmt = _with_principals(select(*_PRINCIPAL_COLUMNS)).where(_PRINCIPAL.id.in_(ids))
    return {r.id: _info(r) for r in session.connection().execute(stmt)}


def _entries(session: Session, resource_ids: list[str], *, owners_only: bool) -> Any:
    stmt = select(Permission.resource_id, Permission.principal_id, Permission.level).where(
        Permission.resource_id.in_(resource_ids)
    )
    if owners_only:
        stmt = stmt.where(Permission.level == OWNER)
    return session.execute(stmt).all()


# Built once (only the values change per call): building a statement costs more than
# running it.
_OWNERS = _with_principals(
    select(_ENTRY.resource_id, *_PRINCIPAL_COLUMNS).join_from(
        Permission.__table__, Principal.__table__, _PRINCIPAL.id == _ENTRY.principal_id
    )
).where(_ENTRY.resource_id.in_(bindparam("ids", expanding=True)), _ENTRY.level == OWNER)


def _owners(session: Session, resource_ids: list[str]) -> dict[str, list[PrincipalInfo]]:
    """The owners of each resource, sorted by name: one statement."""
    owners: dict[str, list[PrincipalInfo]] = defaultdict(list)
    for r in session.connection().execute(_OWNERS, {"ids": resource_ids}):
        owners[r.resource_id].append(_info(r[1:]))
    for found in owners.values():
        _by_name(found)
    return owners


def _views(session: Session, resources: Sequence[Any]) -> list[ResourceView]:
    """Views of resources (ORM objects or rows of `_RESOURCE_COLUMNS`) with their owners."""
    owners = _owners(session, [r.id for r in resources])
    return [
        ResourceView(
            id=r.id,
            kind=r.kind,
            name=r.name,
            description=r.description,
            creation_date=r.created_at,
            project_id=r.project_id,
            data_source_id=r.data_source_id,
            owners=owners.get(r.id, []),
        )
        for r in resources
    ]


def list_resources(session: Session, actor: Actor, kind: str, query: ListQuery) -> Page:
    stmt = select(Resource).where(
        Resource.organization_id == actor.organization_id, Resource.kind == kind, _visible(actor)
    )
    page, count = apply(
        stmt,
        query,
        RESOURCE_FIELDS,
        tiebreak=Resource.id,
        default_sort=(SortKey("creationDate", descending=True),),
    )
    items = _views(session, list(session.scalars(page)))
    return Page(items, session.scalar(count) or 0, query.limit, query.offset)


def _find(session: Session, actor: Actor, kind: str | None, resource_id: str) -> Resource | None:
    stmt = select(Resource).where(
        Resource.id == resource_id,
        Resource.organization_id == actor.organization_id,
        _visible(actor),
    )
    if kind is not None:
        stmt = stmt.where(Resource.kind == kind)
    return session.scalars(stmt).one_or_none()


def _load(session: Session, actor: Actor, kind: str, resource_id: str) -> Resource:
    resource = _find(session, actor, kind, resource_id)
    if resource is None:
        raise NotFound(f"No such {KIND_LABEL[kind]}.")
    return resource


def level_of(session: Session, actor: Actor, resource_id: str) -> int:
    if actor.is_admin:
        return OWNER
    level = session.scalar(
        select(Permission.level).where(
            Permission.resource_id == resource_id, Permission.principal_id == actor.id
        )
    )
    return level or 0


def _require(session: Session, actor: Actor, resource: Resource, level: int, doing: str) -> None:
    if not actor.can_own:
        raise Forbidden(f"A viewer cannot {doing}.")
    if level_of(session, actor, resource.id) < level:
        raise Forbidden(
            f"You need the {PERMISSION_NAMES[level]} permission on this "
            f"{KIND_LABEL[resource.kind]} to {doing}."
        )


# One resource with its owners, one row per owner (one row of NULLs when it has none).
_ONE = (
    select(*_RESOURCE_COLUMNS, *_PRINCIPAL_COLUMNS)
    .select_from(
        _with_principals(
            Resource.__table__.outerjoin(
                Permission.__table__,
                and_(_ENTRY.resource_id == _RESOURCE.id, _ENTRY.level == OWNER),
            ).outerjoin(Principal.__table__, _PRINCIPAL.id == _ENTRY.principal_id)
        )
    )
    .where(
        _RESOURCE.id == bindparam("id"),
        _RESOURCE.organization_id == bindparam("organization_id"),
        _RESOURCE.kind == bindparam("kind"),
    )
)
_MINE = Permission.__table__.alias("mine")  # the caller's own entry (not an owner's)
_GET = {
    True: Prepared(_ONE),  # administrators see every resource
    False: Prepared(
        _ONE.where(
            exists().where(
                _MINE.c.resource_id == _RESOURCE.id,
                _MINE.c.principal_id == bindparam("principal_id"),
            )
        )
    ),
}


def get(session: Session, actor: Actor, kind: str, resource_id: str) -> ResourceView:
    # One prepared statement, rows not ORM objects: the read key-authenticated clients make
    # most (docs/performance.md, section 2).
    rows = _GET[actor.is_admin].rows(
        session.connection(),
        {
            "id": resource_id,
            "organization_id": actor.organization_id,
            "kind": kind,
            "principal_id": actor.id,
        },
    )
    if not rows:
        raise NotFound(f"No such {KIND_LABEL[kind]}.")
    first = rows[0]
    width = len(_RESOURCE_COLUMNS)
    owners = _by_name([_info(row[width:]) for row in rows if row[width] is not None])
    id_, kind_, name, description, created_at, project_id, data_source_id = first[:width]
    return ResourceView(
        id=id_,
        kind=kind_,
        name=name,
        description=description,
        creation_date=created_at,
        project_id=project_id,
        data_source_id=data_source_id,
        owners=owners,
    )


def _parent(
    session: Session, actor: Actor, kind: str, resource_id: str | None, field_name: str, need: int
) -> str:
    label = KIND_LABEL[kind]
    if not resource_id:
        raise Invalid(field_name, f"is required for layers and tables (the {label}'s id)")
    parent = _find(session, actor, kind, resource_id)
    if parent is None:
        raise Invalid(field_name, f"no such {label} in this organization")
    if level_of(session, actor, parent.id) < need:
        raise Forbidden(
            f"You need the {PERMISSION_NAMES[need]} permission on the {label} '{parent.name}'."
        )
    return parent.id


def create(
    session: Session,
    actor: Actor,
    kind: str,
    *,
    name: str,
    description: str,
    project_id: str | None,
    data_source_id: str | None,
    client: str | None,
) -> ResourceView:
    if not actor.can_own:
        raise Forbidden("A viewer cannot create resources.")
    if kind in DEPENDENT_KINDS:
        project_id = _parent(session, actor, "projects", project_id, "projectId", MODIFY)
        data_source_id = _parent(
            session, actor, "datasources", data_source_id, "dataSourceId", VIEW
        )
    else:
        if project_id is not None:
            raise Invalid("projectId", "only layers and tables belong to a project")
        if data_source_id is not None:
            raise Invalid("dataSourceId", "only layers and tables read a data source")
    resource = Resource(
        organization_id=actor.organization_id,
        kind=kind,
        name=name,
        description=description,
        project_id=project_id,
        data_source_id=data_source_id,
        created_at=clock.now(),
    )
    session.add(resource)
    session.flush()
    session.add(
        Permission(
            organization_id=actor.organization_id,
            resource_id=resource.id,
            principal_id=actor.id,
            level=OWNER,
        )
    )
    session.flush()
    audit.record(
        session,
        organization_id=actor.organization_id,
        actor=actor,
        action="resource.created",
        target_type=kind,
        target_id=resource.id,
        target_name=name,
        client=client,
    )
    return _views(session, [resource])[0]


def update(
    session: Session,
    actor: Actor,
    kind: str,
    resource_id: str,
    *,
    name: str | None,
    description: str | None,
) -> ResourceView:
    resource = _load(session, actor, kind, resource_id)
    _require(session, actor, resource, MODIFY, "change it")
    if name is not None:
        resource.name = name
    if description is not None:
        resource.description = description
    session.flush()
    return _views(session, [resource])[0]


def delete_resource(
    session: Session, actor: Actor, kind: str, resource_id: str, *, client: str | None
) -> None:
    resource = _load(session, actor, kind, resource_id)
    _require(session, actor, resource, OWNER, "delete it")
    dependents = session.scalar(
        select(func.count())
        .select_from(Resource)
        .where((Resource.project_id == resource.id) | (Resource.data_source_id == resource.id))
    )
    name = resource.name
    session.execute(
        delete(Resource)
        .where(Resource.id == resource.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(resource)
    audit.record(
        session,
        organization_id=actor.organization_id,
        actor=actor,
        action="resource.deleted",
        target_type=kind,
        target_id=resource_id,
        target_name=name,
        client=client,
        details={"dependentsDeleted": dependents or 0},
    )


@dataclass(frozen=True)
class EntryView:
    principal: PrincipalInfo
    permission: str


def get_permissions(session: Session, actor: Actor, kind: str, resource_id: str) -> list[EntryView]:
    resource = _load(session, actor, kind, resource_id)
    return _entry_views(session, resource.id)


def _entry_views(session: Session, resource_id: str) -> list[EntryView]:
    entries = _entries(session, [resource_id], owners_only=False)
    info = principals_info(session, [e.principal_id for e in entries])
    views = [EntryView(info[e.principal_id], PERMISSION_NAMES[e.level]) for e in entries]
    return sorted(views, key=lambda v: (-PERMISSION_LEVELS[v.permission], v.principal.name.lower()))


def put_permissions(
    session: Session,
    actor: Actor,
    kind: str,
    resource_id: str,
    entries: Sequence[tuple[str, str]],
    *,
    client: str | None,
) -> list[EntryView]:
    resource = _load(session, actor, kind, resource_id)
    _require(session, actor, resource, OWNER, "change its permissions")
    seen: set[str] = set()
    for index, (principal_id, _) in enumerate(entries):
        if principal_id in seen:
            raise Invalid(f"entries[{index}].principalId", "names a principal twice")
        seen.add(principal_id)
    _share_lock_principals(session, actor.organization_id, sorted(seen))
    info = principals_info(session, list(seen))
    for index, (principal_id, permission) in enumerate(entries):
        who = info.get(principal_id)
        if who is None or not _in_org(session, actor.organization_id, principal_id):
            raise Invalid(
                f"entries[{index}].principalId",
                "is not a member or API key of this organization",
            )
        if PERMISSION_LEVELS[permission] > VIEW and who.role not in ("editor", "administrator"):
            raise Invalid(
                f"entries[{index}].permission",
                f"{who.name} is a viewer and can only hold 'view'",
            )
    if not any(p == "owner" for _, p in entries):
        raise Invalid("entries", "must keep at least one owner")
    before = [e.principal.id for e in _entry_views(session, resource.id) if e.permission == "owner"]
    session.execute(delete(Permission).where(Permission.resource_id == resource.id))
    if entries:
        session.execute(
            insert(Permission),
            [
                {
                    "organization_id": actor.organization_id,
                    "resource_id": resource.id,
                    "principal_id": pid,
                    "level": PERMISSION_LEVELS[perm],
                }
                for pid, perm in entries
            ],
        )
    after = _entry_views(session, resource.id)
    audit.record(
        session,
        organization_id=actor.organization_id,
        actor=actor,
        action="resource.permissions_changed",
        target_type=kind,
        target_id=resource.id,
        target_name=resource.name,
        client=client,
        details={
            "ownersBefore": before,
            "ownersAfter": [e.principal.id for e in after if e.permission == "owner"],
            "entries": len(after),
        },
    )
    return after


def _share_lock_principals(session: Session, organization_id: str, ids: list[str]) -> None:
    """Share-lock the named members' and keys' rows before their roles are read.

    A demotion, a removal or a key deletion locks that row for update: it waits for this
    change and then sees the new entries (refusing the demotion, settling what the principal
    now owns), or it goes first and this change reads its outcome (the new role, or no such
    principal). Otherwise a deletion cascades away an owner entry it never saw (leaving the
    resource without an owner), or a demotion leaves a viewer holding modify.
    """
    if not ids:
        return
    for table in (Member, ApiKey):
        session.execute(
            select(table.id)
            .where(table.id.in_(ids), table.organization_id == organization_id)
            .order_by(table.id)
            .with_for_update(read=True)
        )


def _in_org(session: Session, organization_id: str, principal_id: str) -> bool:
    # A share lock: a concurrent deletion of this principal waits for this change, then
    # settles the entries it finds (instead of cascading an owner entry away unseen).
    found = session.scalar(
        select(Principal.id)
        .where(Principal.id == principal_id, Principal.organization_id == organization_id)
        .with_for_update(read=True)
    )
    return found is not None
