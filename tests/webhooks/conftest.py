from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World, login
from tests.webhooks.receiver import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture
def admin(client: TestClient, world: World) -> TestClient:
    return login(client, world.admin.email)


def hooks_url(world: World, org_id: str | None = None) -> str:
    return f"/api/v1/organizations/{org_id or world.org.id}/webhooks"


def create_webhook(admin: TestClient, world: World, url: str, **fields: Any) -> dict[str, Any]:
    response = admin.post(hooks_url(world), json={"url": url, **fields})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
