"""The `expiring` status: its window's boundaries, the organization's warning days, the
status filter and sort, and the per-status summary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from keyhouse.api_keys.status import key_status
from keyhouse.models import ApiKey, Organization
from tests.factories import World, key_client, login, make_key

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the frozen clock's first instant
TODAY = NOW.date()


def _keys_url(world: World, suffix: str = "", org_id: str | None = None) -> str:
    base = f"/api/v1/organizations/{org_id or world.org.id}/api-keys"
    return f"{base}/{suffix}" if suffix else base


def _set_expiration(world: World, key_id: str, day: date) -> None:
    with world.db.transaction() as s:
        s.execute(update(ApiKey).where(ApiKey.id == key_id).values(expiration_date=day))


def _set_warning(world: World, days: int, org_id: str | None = None) -> None:
    with world.db.transaction() as s:
        s.execute(
            update(Organization)
            .where(Organization.id == (org_id or world.org.id))
            .values(expiry_warning_days=days)
        )


# Days from today to the expiration date -> status, with the default 14-day warning.
OFFSETS = {-30: "expired", -1: "expired", 0: "expiring", 1: "expiring", 14: "expiring"}
OFFSETS |= {15: "active", 400: "active"}


@pytest.fixture
def spread(frozen_clock, client: TestClient, world: World):  # type: ignore[no-untyped-def]
    """A key per offset in OFFSETS (title: the offset); the admin signed in."""
    ids = {}
    for offset in OFFSETS:
        key_id, _ = make_key(world, title=str(offset), days=max(offset, 0))
        _set_expiration(world, key_id, TODAY + timedelta(days=offset))
        ids[offset] = key_id
    make_key(world, org=world.other, title="Theirs", days=3)  # never counted here
    return login(client, world.admin.email), ids


def _statuses(admin: TestClient, world: World) -> dict[int, str]:
    page = admin.get(_keys_url(world), params={"limit": 100}).json()
    return {int(k["title"]): k["status"] for k in page["items"]}


def test_status_at_the_window_boundaries(frozen_clock, spread, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, ids = spread
    assert _statuses(admin, world) == OFFSETS
    for offset, key_id in ids.items():
        assert admin.get(_keys_url(world, key_id)).json()["status"] == OFFSETS[offset]

    # The last instant of a day, then the first of the next: the window moves by a day.
    frozen_clock.set(datetime(2030, 6, 15, 23, 59, 59, 999999, tzinfo=UTC))
    assert _statuses(admin, world) == OFFSETS
    frozen_clock.set(datetime(2030, 6, 16, 0, 0, tzinfo=UTC))
    admin = login(TestClient(admin.app), world.admin.email)  # the session lasts 12 hours
    moved = _statuses(admin, world)
    assert moved[0] == "expired" and moved[15] == "expiring" and moved[14] == "expiring"
    assert moved[1] == "expiring" and moved[400] == "active"


def test_the_organizations_warning_days_set_the_window(spread, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, _ = spread
    _set_warning(world, 1)
    assert _statuses(admin, world) == {
        -30: "expired",
        -1: "expired",
        0: "expiring",
        1: "expiring",
        14: "active",
        15: "active",
        400: "active",
    }
    _set_warning(world, 365)
    statuses = _statuses(admin, world)
    assert statuses[15] == "expiring" and statuses[400] == "active"
    # Another organization's setting changes nothing here.
    _set_warning(world, 14)
    _set_warning(world, 1000, world.other.id)
    assert _statuses(admin, world) == OFFSETS
    assert admin.get(_keys_url(world, "summary")).json()["warningDays"] == 14


def test_status_python_and_sql_agree() -> None:
    for warning in (1, 3, 14):
        for offset in range(-3, 20):
            expected = "expired" if offset < 0 else "expiring" if offset <= warning else "active"
            assert key_status(TODAY + timedelta(days=offset), TODAY, warning) == expected


def test_filter_and_sort_by_status(spread, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, _ = spread

    def titles(**params: str) -> list[int]:
        response = admin.get(_keys_url(world), params={"limit": "100", **params})
        assert response.status_code == 200, response.text
        return [int(k["title"]) for k in response.json()["items"]]

    assert sorted(titles(filter="status:is:expiring")) == [0, 1, 14]
    assert sorted(titles(filter="status:not:expiring")) == [-30, -1, 15, 400]
    assert sorted(titles(filter="status:isAnyOf:expiring,expired")) == [-30, -1, 0, 1, 14]
    assert sorted(titles(filter="status:is:active")) == [15, 400]
    # In the order of a key's life: active, expiring, expired (ties by id).
    order = [OFFSETS[t] for t in titles(sort="status")]
    assert order == sorted(order, key=["active", "expiring", "expired"].index)
    reverse = [OFFSETS[t] for t in titles(sort="-status")]
    assert reverse == order[::-1]
    assert titles(sort="status", limit="2", offset="2") == titles(sort="status")[2:4]


def test_summary_counts_per_status(spread, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, _ = spread
    summary = admin.get(_keys_url(world, "summary"))
    assert summary.status_code == 200, summary.text
    assert summary.json() == {
        "total": 7,
        "active": 2,
        "expiring": 3,
        "expired": 2,
        "warningDays": 14,
    }
    _set_warning(world, 30)
    assert admin.get(_keys_url(world, "summary")).json() == {
        "total": 7,
        "active": 1,
        "expiring": 4,
        "expired": 2,
        "warningDays": 30,
    }
    other = login(TestClient(admin.app), world.other.people["admin"].email)
    assert other.get(_keys_url(world, "summary", world.other.id)).json() == {
        "total": 1,
        "active": 0,
        "expiring": 1,
        "expired": 0,
        "warningDays": 14,
    }


def test_summary_of_an_empty_organization(frozen_clock, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = login(client, world.admin.email)
    assert admin.get(_keys_url(world, "summary")).json() == {
        "total": 0,
        "active": 0,
        "expiring": 0,
        "expired": 0,
        "warningDays": 14,
    }


@pytest.mark.parametrize(
    ("caller", "status"),
    [("editor", 403), ("viewer", 403), ("key", 403), ("nobody", 401), ("other admin", 404)],
)
def test_only_administrators_read_the_summary(  # type: ignore[no-untyped-def]
    frozen_clock, app, world: World, caller: str, status: int
) -> None:
    client = TestClient(app)
    if caller in ("editor", "viewer"):
        login(client, world.org.people[caller].email)
    elif caller == "key":
        client = key_client(app, make_key(world, title="Caller")[1])
    elif caller == "other admin":
        login(client, world.other.people["admin"].email)
    assert client.get(_keys_url(world, "summary")).status_code == status
