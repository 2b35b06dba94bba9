"""The `keyhouse` command line, in-process on a fresh SQLite database in a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from keyhouse.app import create_app
from keyhouse.auth import keys
from keyhouse.cli import app as cli_app
from keyhouse.core import clock
from keyhouse.core.config import Settings, get_settings
from keyhouse.core.db import Database
from keyhouse.models import ApiKey, AuditEvent, Organization
from tests.factories import create_resource, key_client

Run = Callable[..., Result]
PASSWORD = "cli password 1"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setenv("KEYHOUSE_DATA_DIR", str(folder))
    monkeypatch.setenv("KEYHOUSE_DATABASE_URL", f"sqlite:///{folder / 'cli.db'}")
    monkeypatch.setenv("KEYHOUSE_API_KEY_EMAIL_DOMAIN", "cli.test")
    monkeypatch.setenv("KEYHOUSE_SECRET_KEY", "cli-test-secret")
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture
def run(data_dir: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, code: int = 0) -> Result:
        result = runner.invoke(cli_app, list(args), input=input)
        assert result.exit_code == code, (args, result.output, result.stderr, result.exception)
        return result

    return invoke


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def _day(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


@pytest.fixture
def org(run: Run) -> dict[str, str]:
    """An upgraded database with an organization, an administrator and an editor."""
    run("db", "upgrade")
    created = _json(run("orgs", "create", "Initech", "--slug", "initech", "--json"))
    for email, name, role in (
        ("boss@initech.test", "Bill Boss", "administrator"),
        ("milton@initech.test", "Milton Editor", "editor"),
    ):
        run("users", "create", email, "--name", name, "--password-stdin", input=PASSWORD + "\n")
        run("members", "add", "initech", email, "--role", role)
    return created  # type: ignore[no-any-return]


def test_db_upgrade_is_idempotent(run: Run, data_dir: Path) -> None:
    first = run("db", "upgrade")
    assert "up to date" in first.stdout
    assert (data_dir / "cli.db").exists()
    assert _json(run("db", "upgrade", "--json")) == {"status": "ok"}


def test_organizations_users_and_members(run: Run, org: dict[str, str], data_dir: Path) -> None:
    assert org["name"] == "Initech" and org["slug"] == "initech"
    text = run("orgs", "create", "Globo Gym")
    assert "globo-gym" in text.stdout  # slug derived from the name
    user = _json(
        run(
            "users",
            "create",
            "  Peter@Initech.TEST ",
            "--name",
            "Peter",
            "--password-stdin",
            "--json",
            input="another password\n",
        )
    )
    assert user["email"] == "peter@initech.test" and user["name"] == "Peter"
    member = _json(
        run("members", "add", org["id"], "peter@initech.test", "--role", "viewer", "--json")
    )
    assert member["role"] == "viewer" and member["email"] == "peter@initech.test"
    changed = _json(
        run("members", "set-role", "initech", "peter@initech.test", "--role", "editor", "--json")
    )
    assert changed["role"] == "editor"
    # The password from stdin is the one that signs in, through the real app.
    settings = Settings()
    db = Database(settings.resolved_database_url())
    try:
        with TestClient(create_app(settings, db)) as client:
            ok = client.post(
                "/api/v1/auth/login",
                json={"email": "peter@initech.test", "password": "another password"},
            )
            assert ok.status_code == 200
            roles = {m["organization"]["slug"]: m["role"] for m in ok.json()["memberships"]}
            assert roles == {"initech": "editor"}
    finally:
        db.dispose()


def test_keys_create_list_and_use(run: Run, org: dict[str, str]) -> None:
    text = run(
        "keys",
        "create",
        "initech",
        "--title",
        "Nightly export",
        "--role",
        "viewer",
        "--expires",
        _day(30),
        "--created-by",
        "boss@initech.test",
    )
    secrets_in_text = [w for w in text.stdout.split() if w.startswith("kh_")]
    assert len(secrets_in_text) == 1 and keys.is_well_formed(secrets_in_text[0])
    assert "shown once" in text.stdout

    created = _json(
        run(
            "keys",
            "create",
            "initech",
            "--title",
            "Loader",
            "--role",
            "editor",
            "--expires",
            _day(10),
            "--created-by",
            "boss@initech.test",
            "--json",
        )
    )
    assert keys.is_well_formed(created["secret"])
    assert created["email"] == f"api-key-{created['id']}@cli.test"
    assert created["createdBy"]["email"] == "boss@initech.test"
    assert created["createdBy"]["name"] == "Bill Boss"
    # Ten days left, within the default 14-day warning.
    assert created["status"] == "expiring" and created["role"] == "editor"

    listed = _json(run("keys", "list", "initech", "--json"))
    assert [k["title"] for k in listed] == ["Loader", "Nightly export"]
    assert all("secret" not in k for k in listed)
    plain = run("keys", "list", "initech").stdout
    assert "Loader" in plain and created["id"] in plain and created["secret"] not in plain

    # The printed secret authenticates against the service.
    settings = Settings()
    db = Database(settings.resolved_database_url())
    try:
        kc = key_client(create_app(settings, db), created["secret"])
        response = kc.get(f"/api/v1/organizations/{org['id']}/projects")
        assert response.status_code == 200
    finally:
        db.dispose()


def test_keys_roll_prints_a_new_secret_and_retires_the_old(run: Run, org: dict[str, str]) -> None:
    created = _json(
        run(
            "keys",
            "create",
            "initech",
            "--title",
            "Rolling",
            "--role",
            "editor",
            "--expires",
            _day(20),
            "--created-by",
            "boss@initech.test",
            "--json",
        )
    )
    rolled = _json(
        run(
            "keys",
            "roll",
            "initech",
            created["id"],
            "--by",
            "boss@initech.test",
            "--expires",
            _day(40),
            "--json",
        )
    )
    assert rolled["id"] == created["id"] and rolled["email"] == created["email"]
    assert keys.is_well_formed(rolled["secret"]) and rolled["secret"] != created["secret"]
    assert rolled["expirationDate"] == _day(40)
    assert rolled["lastRolledDate"] is not None
    settings = Settings()
    db = Database(settings.resolved_database_url())
    try:
        app = create_app(settings, db)
        url = f"/api/v1/organizations/{org['id']}/projects"
        assert key_client(app, rolled["secret"]).get(url).status_code == 200
        old = key_client(app, created["secret"]).get(url)
        assert old.status_code == 401 and old.json()["code"] == "api_key_rolled"
    finally:
        db.dispose()

    bad = run(
        "keys",
        "roll",
        "initech",
        created["id"],
        "--by",
        "boss@initech.test",
        "--overlap-hours",
        "99",
        code=2,
    )
    assert "overlapHours" in bad.stderr or "overlap_hours" in bad.stderr
    missing = run("keys", "roll", "initech", "no-such-key", "--by", "boss@initech.test", code=1)
    assert "No such API key" in missing.stderr


def test_keys_delete_with_transfer(run: Run, org: dict[str, str]) -> None:
    created = _json(
        run(
            "keys",
            "create",
            "initech",
            "--title",
            "Owner",
            "--role",
            "editor",
            "--expires",
            _day(10),
            "--created-by",
            "boss@initech.test",
            "--json",
        )
    )
    settings = Settings()
    db = Database(settings.resolved_database_url())
    try:
        kc = key_client(create_app(settings, db), created["secret"])
        project = create_resource(kc, org["id"], "projects", "TPS reports")
    finally:
        db.dispose()

    refused = run("keys", "delete", "initech", created["id"], code=1)
    assert "only owner of 1 resource" in refused.stderr
    assert "Traceback" not in refused.output

    result = _json(
        run(
            "keys",
            "delete",
            "initech",
            created["id"],
            "--transfer-to",
            "milton@initech.test",
            "--json",
        )
    )
    assert result["recipient"]["email"] == "milton@initech.test"
    assert result["transferred"] == [
        {"kind": "projects", "id": project["id"], "name": "TPS reports"}
    ]
    assert _json(run("keys", "list", "initech", "--json")) == []

    db = Database(settings.resolved_database_url())
    try:
        with db.transaction() as s:
            assert s.get(ApiKey, created["id"]) is None
            event = s.scalars(
                select(AuditEvent).where(AuditEvent.action == "api_key.deleted")
            ).one()
            assert event.actor_type == "system"
        with TestClient(create_app(settings, db)) as client:
            login = client.post(
                "/api/v1/auth/login", json={"email": "milton@initech.test", "password": PASSWORD}
            )
            assert login.status_code == 200
            got = client.get(f"/api/v1/organizations/{org['id']}/projects/{project['id']}")
            assert [o["email"] for o in got.json()["owners"]] == ["milton@initech.test"]
    finally:
        db.dispose()


def test_key_changes_from_the_command_line_reach_remembered_lists(
    run: Run, org: dict[str, str]
) -> None:
    """The CLI writes through the services (and the database's triggers): every change
    replaces the organization's keys_version, so totals this process remembered (its
    `keys list` among them) are never reused after it."""
    from keyhouse.api_keys import service as key_service
    from keyhouse.core.listing import parse_list_query

    settings = Settings()
    db = Database(settings.resolved_database_url())

    def create(title: str, days: int) -> str:
        made = run(
            "keys",
            "create",
            "initech",
            "--title",
            title,
            "--role",
            "viewer",
            "--expires",
            _day(days),
            "--created-by",
            "boss@initech.test",
            "--json",
        )
        return str(_json(made)["id"])

    def version() -> int:
        with db.transaction(write=False) as s:
            number = s.scalar(select(Organization.keys_version).where(Organization.id == org["id"]))
            return int(number or 0)

    def same_as_counted_afresh() -> None:
        fields = key_service.key_fields(clock.today())
        for sort, filters in (("-creationDate", ["title:contains:job"]), ("status", [])):
            for offset in ("0", "1", "2"):
                query = parse_list_query(
                    fields, limit="1", offset=offset, sort=sort, filters=filters
                )
                with db.transaction(write=False) as s:
                    remembered = key_service.list_keys(s, org["id"], query)  # RUN_SIZES
                    fresh = key_service.list_keys(s, org["id"], query, sizes=None)
                assert [k.id for k in remembered.items] == [k.id for k in fresh.items]
                assert remembered.total == fresh.total

    try:
        first = create("Nightly job", 30)
        create("Export", 60)
        same_as_counted_afresh()
        listed = _json(run("keys", "list", "initech", "--json"))
        steps: list[Callable[[], object]] = [
            lambda: create("Weekly job", 5),
            lambda: run(
                "keys",
                "roll",
                "initech",
                first,
                "--by",
                "boss@initech.test",
                "--expires",
                _day(3),
            ),
            lambda: run("keys", "delete", "initech", first),
        ]
        for step in steps:
            before = version()
            step()
            assert version() != before
            same_as_counted_afresh()
            now_listed = _json(run("keys", "list", "initech", "--json"))
            assert now_listed != listed
            listed = now_listed
        assert sorted(k["title"] for k in listed) == ["Export", "Weekly job"]
    finally:
        db.dispose()


def test_demo_is_idempotent(run: Run) -> None:
    first = run("demo")
    assert "created the demo data" in first.stdout
    assert "alice@demo.keyhouse.test" in first.stdout
    second = run("demo")
    assert "already present" in second.stdout
    assert _json(run("demo", "--json"))["created"] is False
    settings = Settings()
    db = Database(settings.resolved_database_url())
    try:
        with db.transaction() as s:
            slugs = sorted(s.scalars(select(Organization.slug)))
            assert slugs == ["acme", "demo"]
    finally:
        db.dispose()
    listed = _json(run("keys", "list", "demo", "--json"))
    assert {k["status"] for k in listed} == {"active", "expired"}


@pytest.mark.parametrize(
    ("args", "input", "message"),
    [
        (("orgs", "create", "Initech", "--slug", "initech"), None, "is taken"),
        (("orgs", "create", "Bad", "--slug", "Not A Slug"), None, "slug"),
        (("members", "add", "nowhere", "boss@initech.test", "--role", "editor"), None, "nowhere"),
        (("members", "add", "initech", "ghost@initech.test", "--role", "editor"), None, "no user"),
        (
            ("members", "add", "initech", "boss@initech.test", "--role", "editor"),
            None,
            "already a member",
        ),
        (
            ("users", "create", "boss@initech.test", "--name", "Again", "--password-stdin"),
            "long enough password\n",
            "exists",
        ),
        (
            ("users", "create", "new@initech.test", "--name", "Short", "--password-stdin"),
            "short\n",
            "at least 8 characters",
        ),
        (
            ("users", "create", "not-an-email", "--name", "X", "--password-stdin"),
            "long enough password\n",
            "not an email address",
        ),
        (
            ("members", "set-role", "initech", "boss@initech.test", "--role", "editor"),
            None,
            "last administrator",
        ),
        (
            (
                "keys",
                "create",
                "initech",
                "--title",
                "By editor",
                "--role",
                "editor",
                "--expires",
                "TODAY+1",
                "--created-by",
                "milton@initech.test",
            ),
            None,
            "administrators",
        ),
        (
            (
                "keys",
                "create",
                "initech",
                "--title",
                "Too far",
                "--role",
                "editor",
                "--expires",
                "TODAY+731",
                "--created-by",
                "boss@initech.test",
            ),
            None,
            "730 days",
        ),
        (("keys", "delete", "initech", "00000000-0000-0000-0000-000000000000"), None, "No such"),
        (("keys", "list", "nowhere"), None, "nowhere"),
        (("members", "remove", "initech", "boss@initech.test"), None, "last administrator"),
    ],
)
def test_errors_exit_1_with_a_clear_message(
    run: Run, org: dict[str, str], args: tuple[str, ...], input: str | None, message: str
) -> None:
    args = tuple(_day(int(a.removeprefix("TODAY+"))) if a.startswith("TODAY+") else a for a in args)
    result = run(*args, input=input, code=1)
    assert result.stderr.startswith("error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("members", "add", "initech", "boss@initech.test", "--role", "owner"),
        (
            "keys",
            "create",
            "initech",
            "--title",
            "Bad date",
            "--role",
            "editor",
            "--expires",
            "2030-02-30",
            "--created-by",
            "boss@initech.test",
        ),
        (
            "keys",
            "create",
            "initech",
            "--title",
            "Admin key",
            "--role",
            "administrator",
            "--expires",
            "2030-01-01",
            "--created-by",
            "boss@initech.test",
        ),
    ],
)
def test_invalid_arguments_are_usage_errors(
    run: Run, org: dict[str, str], args: tuple[str, ...]
) -> None:
    result = run(*args, code=2)
    assert "error" in result.stderr.lower()
    assert "Traceback" not in result.output
    assert _json(run("keys", "list", "initech", "--json")) == []
