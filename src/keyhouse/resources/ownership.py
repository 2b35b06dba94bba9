"""Removing a principal (API key or member) and what happens to what it owns.

Everything is set-based: a principal owning 10,000 resources costs the same handful of
statements as one owning a single resource. Callers run it inside one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    and_,
    delete,
    exists,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from keyhouse.core.errors import BadRequest, Invalid
from keyhouse.models import OWNER, Member, Permission, Resource, User

RefSelect = Select[str, str, str]


@dataclass(frozen=True)
class ResourceRef:
    kind: str
    id: str
    name: str


@dataclass(frozen=True)
class MemberRef:
    id: str
    name: str
    email: str
    role: str


@dataclass
class Preview:
    sole_owned: list[ResourceRef] = field(default_factory=list)
    co_owned: list[ResourceRef] = field(default_factory=list)
    dependents: list[ResourceRef] = field(default_factory=list)
    eligible_recipients: list[MemberRef] = field(default_factory=list)


@dataclass
class Outcome:
    recipient: MemberRef | None
    transferred: list[ResourceRef]
    released: list[ResourceRef]
    deleted: list[ResourceRef]


def _other_owner(principal_id: str) -> Exists:
    other = aliased(Permission)
    return exists().where(
        other.resource_id == Permission.resource_id,
        other.level == OWNER,
        other.principal_id != principal_id,
    )


def _owned_by(principal_id: str) -> list[ColumnElement[bool]]:
    return [Permission.principal_id == principal_id, Permission.level == OWNER]


def sole_owned_ids(principal_id: str) -> Select[str]:
    """Subquery: ids of resources whose only owner is `principal_id`."""
    return select(Permission.resource_id).where(
        *_owned_by(principal_id), ~_other_owner(principal_id)
    )


def _refs(session: Session, stmt: RefSelect) -> list[ResourceRef]:
    return [ResourceRef(r.kind, r.id, r.name) for r in session.execute(stmt)]


def _ref_columns() -> RefSelect:
    return select(Resource.kind, Resource.id, Resource.name)


def _order(stmt: RefSelect) -> RefSelect:
    return stmt.order_by(Resource.kind, Resource.name, Resource.id)


def eligible_recipients(
    session: Session, organization_id: str, *, excluding: str | None = None
) -> list[MemberRef]:
    stmt = (
        select(Member.id, User.name, User.email, Member.role)
        .join(User, User.id == Member.user_id)
        .where(
            Member.organization_id == organization_id,
            Member.role.in_(("editor", "administrator")),
        )
        .order_by(User.name, Member.id)
    )
    if excluding is not None:
        stmt = stmt.where(Member.id != excluding)
    return [MemberRef(r.id, r.name, r.email, r.role) for r in session.execute(stmt)]


def preview(session: Session, organization_id: str, principal_id: str) -> Preview:
    sole = sole_owned_ids(principal_id)
    sole_refs = _refs(session, _order(_ref_columns().where(Resource.id.in_(sole))))
    co_refs = _refs(
        session,
        _order(
            _ref_columns().where(
                Resource.id.in_(
                    select(Permission.resource_id).where(
                        *_owned_by(principal_id), _other_owner(principal_id)
                    )
                )
            )
        ),
    )
    dependents = _refs(
        session,
        _order(
            _ref_columns().where(
                or_(Resource.project_id.in_(sole), Resource.data_source_id.in_(sole)),
                Resource.id.not_in(sole),
            )
        ),
    )
    return Preview(
        sole_owned=sole_refs,
        co_owned=co_refs,
        dependents=dependents,
        eligible_recipients=eligible_recipients(session, organization_id, excluding=principal_id),
    )


def resolve_recipient(
    session: Session, organization_id: str, transfer_to: str, *, removing: str
) -> MemberRef:
    """The member who will receive ownership, locked so a demotion waits for us."""
    if transfer_to == removing:
        raise Invalid("transferTo", "cannot be the principal being deleted")
    row = session.execute(
        select(Member.id, User.name, User.email, Member.role)
        .join(User, User.id == Member.user_id)
        .where(Member.id == transfer_to, Member.organization_id == organization_id)
        .with_for_update(of=Member)
    ).one_or_none()
    if row is None:
        raise Invalid("transferTo", "is not a member of this organization")
    if row.role not in ("editor", "administrator"):
        raise Invalid(
            "transferTo", f"is a {row.role}; only editors and administrators can own resources"
        )
    return MemberRef(row.id, row.name, row.email, row.role)


def check_choice(transfer_to: str | None, delete_resources: bool) -> None:
    if transfer_to is not None and delete_resources:
        raise BadRequest(
            "Choose either transferTo or deleteResources=true, not both.",
            code="validation_failed",
            extra={
                "errors": [
                    {"field": "deleteResources", "message": "cannot be combined with transferTo"}
                ]
            },
        )


def transfer_sole_owned(session: Session, principal_id: str, recipient_id: str) -> None:
    """Make the recipient owner of everything `principal_id` alone owns."""
    organization_id = Permission.organization_id
    # Recipient already holds a lower entry: raise it to owner.
    session.execute(
        update(Permission)
        .where(
            Permission.principal_id == recipient_id,
            Permission.level < OWNER,
            Permission.resource_id.in_(sole_owned_ids(principal_id)),
        )
        .values(level=OWNER)
        .execution_options(synchronize_session=False)
    )
    # Recipient holds nothing there yet: add an owner entry. (Rows raised above now have
    # another owner, so they no longer count as solely owned.)
    recipient_entry = aliased(Permission)
    session.execute(
        insert(Permission).from_select(
            ["organization_id", "resource_id", "principal_id", "level"],
            select(
                organization_id, Permission.resource_id, literal(recipient_id), literal(OWNER)
            ).where(
                *_owned_by(principal_id),
                ~_other_owner(principal_id),
                ~exists().where(
                    and_(
                        recipient_entry.resource_id == Permission.resource_id,
                        recipient_entry.principal_id == recipient_id,
                    )
                ),
            ),
        )
    )


def delete_sole_owned(session: Session, principal_id: str) -> None:
    """Delete what `principal_id` alone owns; the database cascades to dependents."""
    # The subquery is not correlated with the deleted rows: both engines evaluate it once,
    # before any row (or its cascaded permission entries) goes.
    session.execute(
        delete(Resource)
        .where(Resource.id.in_(sole_owned_ids(principal_id)))
        .execution_options(synchronize_session=False)
    )


def drop_entries(session: Session, principal_id: str) -> None:
    session.execute(
        delete(Permission)
        .where(Permission.principal_id == principal_id)
        .execution_options(synchronize_session=False)
    )


def remove_principal(
    session: Session,
    organization_id: str,
    principal_id: str,
    *,
    transfer_to: str | None,
    delete_resources: bool,
    on_conflict: Callable[[Preview], Exception],
) -> Outcome:
    """Release, transfer or delete what the principal owns, then drop all its entries.

    The caller deletes the principal row itself and records the audit event.
    `on_conflict` is raised (with the preview) when a choice is needed and none was made.
    """
    check_choice(transfer_to, delete_resources)
    recipient = (
        resolve_recipient(session, organization_id, transfer_to, removing=principal_id)
        if transfer_to is not None
        else None
    )
    plan = preview(session, organization_id, principal_id)
    if plan.sole_owned and recipient is None and not delete_resources:
        raise on_conflict(plan)
    deleted: list[ResourceRef] = []
    transferred: list[ResourceRef] = []
    if plan.sole_owned and recipient is not None:
        transfer_sole_owned(session, principal_id, recipient.id)
        transferred = plan.sole_owned
    elif plan.sole_owned:
        delete_sole_owned(session, principal_id)
        deleted = plan.sole_owned + plan.dependents
    gone = {r.id for r in deleted}
    released = [r for r in plan.co_owned if r.id not in gone]
    drop_entries(session, principal_id)
    return Outcome(recipient=recipient, transferred=transferred, released=released, deleted=deleted)


def summary(outcome: Outcome, limit: int = 1000) -> dict[str, object]:
    """The audit record of an outcome: counts, and the refs themselves up to `limit` each."""

    def refs(items: list[ResourceRef]) -> dict[str, object]:
        return {
            "count": len(items),
            "items": [{"kind": r.kind, "id": r.id, "name": r.name} for r in items[:limit]],
            "truncated": len(items) > limit,
        }

    return {
        "recipient": (
            {
                "id": outcome.recipient.id,
                "name": outcome.recipient.name,
                "email": outcome.recipient.email,
            }
            if outcome.recipient
            else None
        ),
        "transferred": refs(outcome.transferred),
        "released": refs(outcome.released),
        "deleted": refs(outcome.deleted),
    }
