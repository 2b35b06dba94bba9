"""Members of an organization: list, re-role, remove (with the same transfer rules as keys)."""

from __future__ import annotations

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from keyhouse.audit import service as audit
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.errors import Conflict, NotFound
from keyhouse.core.listing import FieldType, ListField, ListQuery, Page, SortKey, apply
from keyhouse.models import MODIFY, Member, Permission, Principal, User
from keyhouse.resources import ownership
from keyhouse.resources.ownership import MemberRef, Outcome, Preview

MEMBER_FIELDS: dict[str, ListField] = {
    "name": ListField("name", FieldType.TEXT, (User.name,)),
    "email": ListField("email", FieldType.TEXT, (User.email,), lowered=True),
    "role": ListField(
        "role", FieldType.ENUM, (Member.role,), values=("administrator", "editor", "viewer")
    ),
    "id": ListField("id", FieldType.TEXT, (Member.id,)),
}


def membership(
    session: Session, organization_id: str, user_id: str, *, lock: bool = False
) -> Member | None:
    """The user's membership; `lock` holds a share lock so a removal waits for our write."""
    stmt = select(Member).where(
        Member.organization_id == organization_id, Member.user_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update(read=True)
    return session.scalars(stmt).one_or_none()


def _ref_stmt() -> Select[str, str, str, str]:
    return select(Member.id, User.name, User.email, Member.role).join(
        User, User.id == Member.user_id
    )


def get(session: Session, organization_id: str, member_id: str) -> MemberRef:
    row = session.execute(
        _ref_stmt().where(Member.id == member_id, Member.organization_id == organization_id)
    ).one_or_none()
    if row is None:
        raise NotFound("No such member.")
    return MemberRef(row.id, row.name, row.email, row.role)


def list_members(session: Session, organization_id: str, query: ListQuery) -> Page:
    stmt = _ref_stmt().where(Member.organization_id == organization_id)
    page, count = apply(
        stmt, query, MEMBER_FIELDS, tiebreak=Member.id, default_sort=(SortKey("name", False),)
    )
    items = [MemberRef(r.id, r.name, r.email, r.role) for r in session.execute(page)]
    return Page(items, session.scalar(count) or 0, query.limit, query.offset)


def add(session: Session, organization_id: str, user: User, role: str) -> Member:
    if membership(session, organization_id, user.id) is not None:
        raise Conflict(f"{user.email} is already a member.", code="already_member")
    principal = Principal(organization_id=organization_id, kind="member")
    session.add(principal)
    session.flush()
    member = Member(
        id=principal.id,
        organization_id=organization_id,
        user_id=user.id,
        role=role,
        created_at=clock.now(),
    )
    session.add(member)
    session.flush()
    return member


def _lock_administrators(session: Session, organization_id: str) -> int:
    """Count administrators, locking their rows so two demotions cannot both pass."""
    ids = session.scalars(
        select(Member.id)
        .where(Member.organization_id == organization_id, Member.role == "administrator")
        .with_for_update()
    ).all()
    return len(ids)


def _lock(session: Session, organization_id: str, member_id: str) -> Member:
    member = session.scalars(
        select(Member)
        .where(Member.id == member_id, Member.organization_id == organization_id)
        .with_for_update()
    ).one_or_none()
    if member is None:
        raise NotFound("No such member.")
    return member


def change_role(
    session: Session,
    organization_id: str,
    member_id: str,
    role: str,
    *,
    actor: Actor | None,
    client: str | None,
) -> MemberRef:
    member = _lock(session, organization_id, member_id)
    before = member.role
    if role == before:
        return get(session, organization_id, member_id)
    if before == "administrator" and _lock_administrators(session, organization_id) <= 1:
        raise Conflict(
            "The last administrator cannot be demoted; make someone else administrator first.",
            code="last_administrator",
        )
    if role == "viewer":
        holds = session.scalar(
            select(exists().where(Permission.principal_id == member_id, Permission.level >= MODIFY))
        )
        if holds:
            raise Conflict(
                "This member holds modify or owner permissions; a viewer cannot. "
                "Transfer or reduce them first.",
                code="member_owns_resources",
            )
    member.role = role
    session.flush()
    ref = get(session, organization_id, member_id)
    audit.record(
        session,
        organization_id=organization_id,
        actor=actor,
        action="member.role_changed",
        target_type="member",
        target_id=member_id,
        target_name=ref.email,
        client=client,
        details={"from": before, "to": role},
    )
    return ref


def deletion_preview(session: Session, organization_id: str, member_id: str) -> Preview:
    get(session, organization_id, member_id)
    return ownership.preview(session, organization_id, member_id)


def remove(
    session: Session,
    organization_id: str,
    member_id: str,
    *,
    transfer_to: str | None,
    delete_resources: bool,
    actor: Actor | None,
    client: str | None,
) -> Outcome:
    member = _lock(session, organization_id, member_id)
    ref = get(session, organization_id, member_id)
    if member.role == "administrator" and _lock_administrators(session, organization_id) <= 1:
        raise Conflict("The last administrator cannot be removed.", code="last_administrator")
    outcome = ownership.remove_principal(
        session,
        organization_id,
        member_id,
        transfer_to=transfer_to,
        delete_resources=delete_resources,
        on_conflict=lambda plan: resources_owned(plan, "member"),
    )
    session.execute(delete(Member).where(Member.id == member_id))
    session.execute(delete(Principal).where(Principal.id == member_id))
    audit.record(
        session,
        organization_id=organization_id,
        actor=actor,
        action="member.removed",
        target_type="member",
        target_id=member_id,
        target_name=ref.email,
        client=client,
        details={"name": ref.name, "role": ref.role, **ownership.summary(outcome)},
    )
    return outcome


def resources_owned(plan: Preview, what: str) -> Conflict:
    from keyhouse.resources.schemas import DeletionPreviewOut

    body = DeletionPreviewOut.model_validate(plan).model_dump(by_alias=True, mode="json")
    count = len(plan.sole_owned)
    return Conflict(
        f"This {what} is the only owner of {count} resource{'s' if count != 1 else ''}: "
        "choose a member to transfer them to (transferTo) or delete them (deleteResources=true).",
        code="resources_owned",
        extra=body,
    )


def count_members(session: Session, organization_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Member)
            .where(Member.organization_id == organization_id)
        )
        or 0
    )
