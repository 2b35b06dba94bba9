"""The `keyhouse` command: administration the portal does not do, and `serve`."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.config import get_settings
from keyhouse.core.db import Database
from keyhouse.core.errors import DomainError, Invalid
from keyhouse.core.listing import SortKey, parse_list_query

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Keyhouse administration.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
orgs_app = typer.Typer(no_args_is_help=True, help="Organizations.")
users_app = typer.Typer(no_args_is_help=True, help="Users (people who sign in).")
members_app = typer.Typer(no_args_is_help=True, help="Members of an organization.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys.")
app.add_typer(db_app, name="db")
app.add_typer(orgs_app, name="orgs")
app.add_typer(users_app, name="users")
app.add_typer(members_app, name="members")
app.add_typer(keys_app, name="keys")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
TransferToOpt = Annotated[
    str | None, typer.Option(help="Email of the member who receives what is solely owned")
]
DeleteResourcesOpt = Annotated[
    bool, typer.Option("--delete-resources", help="Delete what is solely owned instead")
]
T = TypeVar("T")
ModelT = TypeVar("ModelT", bound="BaseModel")


def _database() -> Database:
    settings = get_settings()
    return Database(settings.resolved_database_url(), settings)


@contextmanager
def _unit() -> Iterator[Session]:
    """One transaction; a domain error becomes a clear message and exit code 1."""
    db = _database()
    try:
        with db.transaction() as session:
            yield session
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def _emit(as_json: bool, data: Any, text: str | Callable[[], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        typer.echo(text() if callable(text) else text)


def _validated(schema: type[ModelT], data: dict[str, object]) -> ModelT:
    """`data` checked by the API's own schema; each error printed as `error: field: rule`
    and exit code 2, as the API would answer 422."""
    from pydantic import ValidationError

    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            message = err["msg"].removeprefix("Value error, ")
            typer.echo(f"error: {err['loc'][-1]}: {message}", err=True)
        raise typer.Exit(2) from None


def _admin_actor(session: Session, org_id: str, email: str) -> Actor:
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    user = orgs.find_user(session, email)
    member = members.membership(session, org_id, user.id) if user else None
    if user is None or member is None:
        raise Invalid("createdBy", f"{email} is not a member of this organization")
    if member.role != "administrator":
        raise Invalid(
            "createdBy", f"{email} is a {member.role}; keys are created by administrators"
        )
    return Actor("member", member.id, org_id, member.role, user.name, user.email, user.id)


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Apply migrations up to the newest schema."""
    from keyhouse.core.migrate import upgrade

    db = _database()
    upgrade(db)
    db.dispose()
    _emit(as_json, {"status": "ok"}, "database is up to date")


@orgs_app.command("create")
def orgs_create(
    name: str, slug: Annotated[str | None, typer.Option()] = None, as_json: JsonOpt = False
) -> None:
    """Create an organization."""
    from keyhouse.organizations import service as orgs

    with _unit() as session:
        org = orgs.create_organization(session, name, slug)
        data = {"id": org.id, "name": org.name, "slug": org.slug}
    _emit(as_json, data, f"created organization {data['name']} ({data['slug']}) {data['id']}")


@users_app.command("create")
def users_create(
    email: str,
    name: Annotated[str, typer.Option(help="Display name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user; the password comes from standard input (or a prompt)."""
    from keyhouse.organizations import service as orgs

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with _unit() as session:
        user = orgs.create_user(session, email, name, password)
        data = {"id": user.id, "email": user.email, "name": user.name}
    _emit(as_json, data, f"created user {data['email']} {data['id']}")


@members_app.command("add")
def members_add(
    org: str,
    email: str,
    role: Annotated[str, typer.Option(help="administrator, editor or viewer")],
    as_json: JsonOpt = False,
) -> None:
    """Add a user to an organization with a role."""
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    if role not in ("administrator", "editor", "viewer"):
        typer.echo("error: --role must be administrator, editor or viewer", err=True)
        raise typer.Exit(2)
    with _unit() as session:
        organization = orgs.find_organization(session, org)
        user = orgs.find_user(session, email)
        if user is None:
            raise Invalid("email", f"no user {email}; create it with `keyhouse users create`")
        member = members.add(session, organization.id, user, role)
        data = {"id": member.id, "email": user.email, "name": user.name, "role": role}
    _emit(as_json, data, f"{data['email']} is now {role} of {org} (member {data['id']})")


def _member_id(session: Session, org_id: str, email: str) -> str:
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    user = orgs.find_user(session, email)
    member = members.membership(session, org_id, user.id) if user else None
    if member is None:
        raise Invalid("email", f"{email} is not a member of this organization")
    return member.id


@members_app.command("set-role")
def members_set_role(
    org: str,
    email: str,
    role: Annotated[str, typer.Option(help="administrator, editor or viewer")],
    as_json: JsonOpt = False,
) -> None:
    """Change a member's role."""
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    if role not in ("administrator", "editor", "viewer"):
        typer.echo("error: --role must be administrator, editor or viewer", err=True)
        raise typer.Exit(2)
    with _unit() as session:
        organization = orgs.find_organization(session, org)
        ref = members.change_role(
            session,
            organization.id,
            _member_id(session, organization.id, email),
            role,
            actor=None,
            client=None,
        )
        data = ref.__dict__
    _emit(as_json, data, f"{email} is now {role}")


def _outcome_text(outcome: Any) -> str:
    parts = [
        f"transferred {len(outcome.transferred)}"
        + (f" to {outcome.recipient.email}" if outcome.recipient else ""),
        f"released {len(outcome.released)}",
        f"deleted {len(outcome.deleted)}",
    ]
    return ", ".join(parts)


def _outcome_json(outcome: Any) -> dict[str, Any]:
    from keyhouse.resources.schemas import DeletionOutcomeOut

    return DeletionOutcomeOut.model_validate(outcome).model_dump(by_alias=True, mode="json")


@members_app.command("remove")
def members_remove(
    org: str,
    email: str,
    transfer_to: TransferToOpt = None,
    delete_resources: DeleteResourcesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a member, transferring or deleting what it alone owns."""
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    with _unit() as session:
        organization = orgs.find_organization(session, org)
        recipient = _member_id(session, organization.id, transfer_to) if transfer_to else None
        outcome = members.remove(
            session,
            organization.id,
            _member_id(session, organization.id, email),
            transfer_to=recipient,
            delete_resources=delete_resources,
            actor=None,
            client=None,
        )
    _emit(as_json, _outcome_json(outcome), f"removed {email}: {_outcome_text(outcome)}")


@keys_app.command("create")
def keys_create(
    org: str,
    title: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="editor or viewer")],
    expires: Annotated[str, typer.Option(help="Expiration date, YYYY-MM-DD")],
    created_by: Annotated[str, typer.Option(help="Email of an administrator of ORG")],
    as_json: JsonOpt = False,
) -> None:
    """Create an API key and print its secret (shown this once)."""
    from keyhouse.api_keys import service as keys
    from keyhouse.api_keys.schemas import KeyCreate
    from keyhouse.organizations import service as orgs

    body = _validated(KeyCreate, {"title": title, "expirationDate": expires, "role": role})
    settings = get_settings()
    with _unit() as session:
        organization = orgs.find_organization(session, org)
        view, secret = keys.create(
            session,
            organization.id,
            title=body.title,
            expiration_date=body.expiration_date,
            role=body.role,
            creator=_admin_actor(session, organization.id, created_by),
            max_lifetime_days=settings.max_key_lifetime_days,
            email_domain=settings.api_key_email_domain,
            client=None,
        )
    data = {**_key_json(view), "secret": secret}
    _emit(
        as_json,
        data,
        lambda: (
            f"created key {view.title} ({view.id}), role {view.role}, expires "
            f"{view.expiration_date}\nsecret (shown once, store it now): {secret}"
        ),
    )


def _key_json(view: Any) -> dict[str, Any]:
    from keyhouse.api_keys.schemas import KeyOut

    return KeyOut.model_validate(view).model_dump(by_alias=True, mode="json")


@keys_app.command("roll")
def keys_roll(
    org: str,
    key_id: str,
    by: Annotated[str, typer.Option("--by", help="Email of an administrator of ORG")],
    overlap_hours: Annotated[
        int, typer.Option(help="Hours the current secret keeps working (0-72)")
    ] = 0,
    expires: Annotated[str | None, typer.Option(help="A new expiration date, YYYY-MM-DD")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a key a new secret (printed once); same id, role, permissions and resources."""
    from keyhouse.api_keys import service as keys
    from keyhouse.api_keys.schemas import KeyRoll
    from keyhouse.organizations import service as orgs

    body = _validated(KeyRoll, {"overlapHours": overlap_hours, "expirationDate": expires})
    settings = get_settings()
    with _unit() as session:
        organization = orgs.find_organization(session, org)
        view, secret = keys.roll(
            session,
            organization.id,
            key_id,
            overlap_hours=body.overlap_hours,
            expiration_date=body.expiration_date,
            max_lifetime_days=settings.max_key_lifetime_days,
            actor=_admin_actor(session, organization.id, by),
            client=None,
        )
    data = {**_key_json(view), "secret": secret}
    _emit(
        as_json,
        data,
        lambda: (
            f"rolled key {view.title} ({view.id}); the previous secret works "
            + (f"{body.overlap_hours} more hour(s)" if body.overlap_hours else "no longer")
            + f"\nnew secret (shown once, store it now): {secret}"
        ),
    )


@keys_app.command("list")
def keys_list(org: str, as_json: JsonOpt = False) -> None:
    """List an organization's keys (newest first)."""
    from keyhouse.api_keys import service as keys
    from keyhouse.organizations import service as orgs

    rows: list[dict[str, Any]] = []
    with _unit() as session:
        organization = orgs.find_organization(session, org)
        offset = 0
        fields = keys.key_fields(clock.today())
        while True:
            query = parse_list_query(fields, limit="100", offset=str(offset))
            page = keys.list_keys(session, organization.id, query)
            rows.extend(_key_json(v) for v in page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                break
    _ = SortKey
    _emit(
        as_json,
        rows,
        lambda: (
            "\n".join(
                f"{r['id']}  {r['status']:<7}  {r['role']:<6}  {r['expirationDate']}  {r['title']}"
                for r in rows
            )
            or "no keys"
        ),
    )


@keys_app.command("delete")
def keys_delete(
    org: str,
    key_id: str,
    transfer_to: TransferToOpt = None,
    delete_resources: DeleteResourcesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a key, transferring (--transfer-to EMAIL) or deleting what it alone owns."""
    from keyhouse.api_keys import service as keys
    from keyhouse.organizations import service as orgs

    with _unit() as session:
        organization = orgs.find_organization(session, org)
        recipient = _member_id(session, organization.id, transfer_to) if transfer_to else None
        outcome = keys.delete_key(
            session,
            organization.id,
            key_id,
            transfer_to=recipient,
            delete_resources=delete_resources,
            actor=None,
            client=None,
        )
    _emit(as_json, _outcome_json(outcome), f"deleted key {key_id}: {_outcome_text(outcome)}")


@app.command()
def demo(as_json: JsonOpt = False) -> None:
    """Create the demo organizations, people, keys and resources (idempotent)."""
    from keyhouse import demo as demo_data
    from keyhouse.core.migrate import upgrade

    db = _database()
    upgrade(db)
    db.dispose()
    with _unit() as session:
        created = demo_data.seed(session, get_settings())
    data = {"created": created, "email": demo_data.ADMIN_EMAIL, "password": demo_data.PASSWORD}
    _emit(
        as_json,
        data,
        (
            ("created the demo data\n" if created else "demo data already present\n")
            + f"sign in as {demo_data.ADMIN_EMAIL} with the password {demo_data.PASSWORD}"
            + " (other demo users: eddie@, erin@ (editors), vera@ (viewer), same password)"
        ),
    )


@app.command()
def sweep(as_json: JsonOpt = False) -> None:
    """Emit due key-expiry webhook events, then send the webhook deliveries due (for cron).

    Safe to run from several machines at once: no event is emitted or sent twice.
    """
    from keyhouse.webhooks.delivery import deliver_all_due
    from keyhouse.webhooks.sweep import sweep as run_sweep

    settings = get_settings()
    db = _database()
    try:
        swept = run_sweep(db, now=clock.now())
        sent = deliver_all_due(db, now=clock.now(), timeout=settings.webhook_timeout_seconds)
    finally:
        db.dispose()
    data = {"sweep": swept.as_dict(), "delivery": sent.as_dict()}
    _emit(
        as_json,
        data,
        lambda: (
            f"expiry events: {swept.expiring} expiring, {swept.expired} expired "
            f"({swept.queued} deliveries queued, {swept.pruned} old deliveries pruned)\n"
            f"deliveries: {sent.delivered} delivered, {sent.retrying} to retry, "
            f"{sent.failed + sent.paused} failed"
        ),
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Apply migrations, then serve the API and the portal."""
    import uvicorn

    from keyhouse.core.migrate import upgrade

    db = _database()
    upgrade(db)
    db.dispose()
    settings = get_settings()
    settings.resolved_secret_key()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    typer.echo(f"Keyhouse on http://{host}:{port}  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.run(
        "keyhouse.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,
        log_level="info",
    )


@app.command()
def openapi() -> None:
    """Print the OpenAPI document."""
    from keyhouse.app import create_app

    typer.echo(json.dumps(create_app().openapi(), indent=2))


def main() -> None:
    app()
