"""`keyhouse sweep` (for cron) and the in-server worker thread, end to end on SQLite,
with a real receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from keyhouse.app import create_app
from keyhouse.auth.principal import Principal as Actor
from keyhouse.cli import app as cli_app
from keyhouse.core import clock
from keyhouse.core.config import Settings, get_settings
from keyhouse.core.db import Database
from keyhouse.models import WebhookDelivery
from keyhouse.webhooks import service as webhooks
from keyhouse.webhooks.signing import verify
from keyhouse.webhooks.worker import WebhookWorker
from tests.factories import World, login, make_key
from tests.webhooks.conftest import create_webhook, hooks_url
from tests.webhooks.receiver import Receiver

PASSWORD = "cli password 1"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setenv("KEYHOUSE_DATA_DIR", str(folder))
    monkeypatch.setenv("KEYHOUSE_DATABASE_URL", f"sqlite:///{folder / 'cli.db'}")
    monkeypatch.setenv("KEYHOUSE_SECRET_KEY", "cli-test-secret")
    get_settings.cache_clear()
    yield folder / "cli.db"
    get_settings.cache_clear()


def _run(*args: str, stdin: str | None = None) -> Any:
    result = CliRunner().invoke(cli_app, list(args), input=stdin)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def test_keyhouse_sweep_emits_and_delivers_once(
    cli_db: Path, frozen_clock: Any, receiver: Receiver
) -> None:
    _run("db", "upgrade")
    org = json.loads(_run("orgs", "create", "Initech", "--slug", "initech", "--json").stdout)
    _run("users", "create", "boss@initech.test", "--name", "Bill", "--password-stdin",
         stdin=PASSWORD + "\n")  # fmt: skip
    _run("members", "add", "initech", "boss@initech.test", "--role", "administrator")
    soon = (clock.today() + timedelta(days=3)).isoformat()
    for title in ("Soon", "Later"):
        expires = soon if title == "Soon" else (clock.today() + timedelta(days=90)).isoformat()
        _run("keys", "create", "initech", "--title", title, "--role", "editor",
             "--expires", expires, "--created-by", "boss@initech.test")  # fmt: skip
    db = Database(f"sqlite:///{cli_db}")
    try:
        with db.transaction() as s:
            admin = Actor("member", "m", org["id"], "administrator", "Bill", "boss@initech.test")
            _, secret = webhooks.create(
                s, org["id"], url=receiver.url, description="", events=None, actor=admin,
                client=None,
            )  # fmt: skip

        first = json.loads(_run("sweep", "--json").stdout)
        assert first["sweep"] == {"expiring": 1, "expired": 0, "queued": 1, "pruned": 0}
        assert first["delivery"]["claimed"] == 1 and first["delivery"]["delivered"] == 1
        (request,) = receiver.requests
        assert request.headers["keyhouse-event"] == "api_key.expiring"
        assert json.loads(request.body)["data"]["apiKey"]["title"] == "Soon"
        header = request.headers["keyhouse-signature"]
        assert verify(secret, header, request.body, now=int(clock.now().timestamp()))

        # Run again (cron every minute, or two machines): nothing twice.
        again = _run("sweep")
        assert "0 expiring, 0 expired" in again.stdout
        assert "0 delivered" in again.stdout
        assert len(receiver.requests) == 1

        # A failing receiver: the CLI reports the retry, and a later run delivers it.
        frozen_clock.set(frozen_clock.at + timedelta(days=4))
        receiver.answer(500)
        third = json.loads(_run("sweep", "--json").stdout)
        assert third["sweep"]["expired"] == 1
        assert third["delivery"]["retrying"] == 1
        frozen_clock.set(frozen_clock.at + timedelta(minutes=5))
        fourth = json.loads(_run("sweep", "--json").stdout)
        assert fourth["delivery"]["delivered"] == 1
        assert [json.loads(r.body)["type"] for r in receiver.requests] == [
            "api_key.expiring",
            "api_key.expired",
            "api_key.expired",
        ]
    finally:
        db.dispose()


def test_the_worker_thread_sends_and_sweeps(
    settings: Settings, db: Database, world: World, receiver: Receiver
) -> None:
    """The server's own worker, fast: a test ping and an expiring key reach the receiver.
    Waits are bounded and nothing is asserted about time."""
    fast = settings.model_copy(
        update={
            "webhook_worker": True,
            "webhook_delivery_interval_seconds": 0.02,
            "expiry_sweep_interval_seconds": 0.02,
        }
    )
    app = create_app(fast, db)
    worker = app.state.webhook_worker
    with TestClient(app) as client:
        assert worker.running
        admin = login(client, world.admin.email)
        hook = create_webhook(admin, world, receiver.url, events=["api_key.expiring"])
        admin.post(f"{hooks_url(world)}/{hook['id']}/test")
        make_key(world, title="Soon", days=2)
        received = receiver.wait_for(2)
        assert sorted(r.headers["keyhouse-event"] for r in received[:2]) == [
            "api_key.expiring",
            "webhook.test",
        ]
        for request in received:
            assert verify(
                hook["secret"],
                request.headers["keyhouse-signature"],
                request.body,
                now=int(request.headers["keyhouse-signature"].split(",")[0][2:]),
            )
    assert not worker.running
    assert worker.sweeps >= 1 and worker.delivery_rounds >= 1
    with db.transaction(write=False) as s:
        statuses = s.scalars(select(WebhookDelivery.status)).all()
    assert sorted(statuses) == ["delivered", "delivered"]
    assert len(receiver.requests) == 2  # each sent once, however many rounds ran


def test_apps_built_without_the_worker_start_none(settings: Settings, db: Database) -> None:
    app = create_app(settings.model_copy(update={"webhook_worker": False}), db)
    with TestClient(app):
        assert not hasattr(app.state, "webhook_worker")
        assert not any(isinstance(b, WebhookWorker) for b in app.state.background)
