"""Usage: requests per key per UTC day, counted in memory and flushed by addition; the
usage endpoint; last-used address; the `unusedDays` filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from keyhouse import usage
from keyhouse.app import create_app
from keyhouse.auth import keys
from keyhouse.core.config import Settings
from keyhouse.models import ApiKey, KeyUsage
from keyhouse.usage import UsageCounter
from tests.factories import World, key_client, login, make_key

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the frozen clock's first instant
TODAY = NOW.date()


def _keys_url(world: World, suffix: str = "") -> str:
    base = f"/api/v1/organizations/{world.org.id}/api-keys"
    return f"{base}/{suffix}" if suffix else base


def _usage_url(world: World, key_id: str) -> str:
    return _keys_url(world, key_id) + "/usage"


def _projects(world: World) -> str:
    return f"/api/v1/organizations/{world.org.id}/projects"


def _stored(world: World, key_id: str) -> dict[str, tuple[int, int]]:
    with world.db.transaction(write=False) as s:
        rows = s.execute(
            select(KeyUsage.day, KeyUsage.succeeded, KeyUsage.refused).where(
                KeyUsage.key_id == key_id
            )
        )
        return {day.isoformat(): (ok, refused) for day, ok, refused in rows}


@pytest.fixture
def admin(frozen_clock, app, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    # Not entered: no lifespan, so no background flusher; the tests flush themselves.
    return login(TestClient(app), world.admin.email)


def test_requests_are_counted_per_day_and_flushed_by_addition(  # type: ignore[no-untyped-def]
    frozen_clock, app, admin: TestClient, world: World
) -> None:
    key_id, secret = make_key(world, title="Busy")
    other_id, other_secret = make_key(world, title="Quiet")
    kc = key_client(app, secret)
    for _ in range(5):
        assert kc.get(_projects(world)).status_code == 200
    # A request the key is authenticated for, though refused afterwards, counts too.
    assert kc.get(_keys_url(world)).status_code == 403
    assert key_client(app, other_secret).get(_projects(world)).status_code == 200
    # Nothing written per request: the counts wait in memory.
    assert _stored(world, key_id) == {}
    assert usage.flush(app) == 2
    assert _stored(world, key_id) == {"2030-06-15": (6, 0)}
    assert _stored(world, other_id) == {"2030-06-15": (1, 0)}
    assert usage.flush(app) == 0  # nothing pending

    # A second flush adds to the row; the next UTC day gets its own.
    kc.get(_projects(world))
    frozen_clock.set(datetime(2030, 6, 16, 0, 0, tzinfo=UTC))
    kc.get(_projects(world))
    kc.get(_projects(world))
    usage.flush(app)
    assert _stored(world, key_id) == {"2030-06-15": (7, 0), "2030-06-16": (2, 0)}


def test_every_worker_flushes_its_own_counts_and_the_sums_add_up(
    frozen_clock, world: World
) -> None:  # type: ignore[no-untyped-def]
    key_id, _ = make_key(world, title="Shared")
    workers = [UsageCounter() for _ in range(3)]
    for n, counter in enumerate(workers, start=1):
        for _ in range(n):
            counter.succeeded(key_id)
        counter.refused(key_id)
    for counter in workers:
        counter.flush(world.db)
    assert _stored(world, key_id) == {TODAY.isoformat(): (6, 3)}


def test_counts_of_a_deleted_key_are_dropped(app, admin: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    gone_id, gone = make_key(world, title="Gone")
    kept_id, kept = make_key(world, title="Kept")
    key_client(app, gone).get(_projects(world))
    key_client(app, kept).get(_projects(world))
    assert admin.delete(_keys_url(world, gone_id)).status_code == 200
    assert usage.flush(app) == 1
    assert _stored(world, kept_id) == {"2030-06-15": (1, 0)}
    assert usage.counter(app).pending() == {}


def test_refusals_of_known_keys_are_counted(  # type: ignore[no-untyped-def]
    frozen_clock, app, admin: TestClient, world: World
) -> None:
    expired_id, expired = make_key(world, title="Expired")
    with world.db.transaction() as s:
        s.execute(
            update(ApiKey)
            .where(ApiKey.id == expired_id)
            .values(expiration_date=TODAY - timedelta(days=1))
        )
    rolled_id, old = make_key(world, title="Rolled")
    new = admin.post(_keys_url(world, rolled_id) + "/roll", json={}).json()["secret"]
    for _ in range(3):
        response = key_client(app, expired).get(_projects(world))
        assert response.json()["code"] == "api_key_expired"
    for _ in range(2):
        assert key_client(app, old).get(_projects(world)).json()["code"] == "api_key_rolled"
    assert key_client(app, new).get(_projects(world)).status_code == 200
    # Unknown and malformed secrets belong to no key: counted nowhere.
    assert key_client(app, keys.generate()).get(_projects(world)).status_code == 401
    assert key_client(app, "kh_nonsense").get(_projects(world)).status_code == 401

    by_day = admin.get(_usage_url(world, expired_id), params={"days": 1}).json()["days"]
    assert by_day == [{"date": "2030-06-15", "succeeded": 0, "refused": 3}]
    by_day = admin.get(_usage_url(world, rolled_id), params={"days": 1}).json()["days"]
    assert by_day == [{"date": "2030-06-15", "succeeded": 1, "refused": 2}]
    with world.db.transaction(write=False) as s:
        assert len(s.scalars(select(KeyUsage.key_id)).all()) == 2


def test_usage_series_is_zero_filled_oldest_first(  # type: ignore[no-untyped-def]
    frozen_clock, app, world: World
) -> None:
    key_id, secret = make_key(world, title="Sometimes")
    kc = key_client(app, secret)
    for day, calls in ((10, 2), (12, 1), (15, 4)):
        frozen_clock.set(datetime(2030, 6, day, 9, 0, tzinfo=UTC))
        for _ in range(calls):
            kc.get(_projects(world))
    frozen_clock.set(datetime(2030, 6, 15, 9, 0, 30, tzinfo=UTC))  # last use was 30 s ago
    admin = login(TestClient(app), world.admin.email)

    response = admin.get(_usage_url(world, key_id), params={"days": 7})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["keyId"] == key_id
    assert [(d["date"], d["succeeded"], d["refused"]) for d in body["days"]] == [
        ("2030-06-09", 0, 0),
        ("2030-06-10", 2, 0),
        ("2030-06-11", 0, 0),
        ("2030-06-12", 1, 0),
        ("2030-06-13", 0, 0),
        ("2030-06-14", 0, 0),
        ("2030-06-15", 4, 0),
    ]
    assert body["lastUsedDate"] == "2030-06-15T09:00:00Z"
    assert body["lastUsedAddress"] == "testclient"

    default = admin.get(_usage_url(world, key_id)).json()["days"]
    assert len(default) == 30 and default[0]["date"] == "2030-05-17"
    assert default[-1]["date"] == "2030-06-15"
    assert sum(d["succeeded"] for d in default) == 7
    one = admin.get(_usage_url(world, key_id), params={"days": 1}).json()["days"]
    assert one == [{"date": "2030-06-15", "succeeded": 4, "refused": 0}]
    year = admin.get(_usage_url(world, key_id), params={"days": 365}).json()["days"]
    assert len(year) == 365 and year[0]["date"] == "2029-06-16"


@pytest.mark.parametrize("days", ["0", "366", "-1", "x", "1.5", ""])
def test_usage_days_out_of_bounds(admin: TestClient, world: World, days: str) -> None:
    key_id, _ = make_key(world, title="Bounded")
    response = admin.get(_usage_url(world, key_id), params={"days": days})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_query"


@pytest.mark.parametrize(
    ("caller", "status"),
    [("editor", 403), ("key", 403), ("nobody", 401), ("other admin", 404)],
)
def test_only_administrators_read_usage(  # type: ignore[no-untyped-def]
    frozen_clock, app, world: World, caller: str, status: int
) -> None:
    key_id, secret = make_key(world, title="Watched")
    client = TestClient(app)
    if caller == "editor":
        login(client, world.editor.email)
    elif caller == "key":
        client = key_client(app, secret)
    elif caller == "other admin":
        login(client, world.other.people["admin"].email)
    assert client.get(_usage_url(world, key_id)).status_code == status


def test_another_organizations_key_usage_is_not_found(admin: TestClient, world: World) -> None:
    theirs, _ = make_key(world, org=world.other, title="Theirs")
    assert admin.get(_usage_url(world, theirs)).status_code == 404


def test_the_app_flushes_at_shutdown(frozen_clock, app, world: World) -> None:  # type: ignore[no-untyped-def]
    key_id, secret = make_key(world, title="Until shutdown")
    with TestClient(app, headers={"Api-Key": secret}) as kc:  # lifespan: flusher running
        for _ in range(3):
            assert kc.get(_projects(world)).status_code == 200
    assert _stored(world, key_id) == {"2030-06-15": (3, 0)}
    assert usage.counter(app).pending() == {}


# --- last used address ----------------------------------------------------------------------


def test_last_used_address_is_recorded_with_the_time(
    frozen_clock, db, world: World, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=tmp_path,
        secret_key="test-secret",
        api_key_email_domain="keys.test",
        trusted_proxies="testclient",  # the test client is a trusted proxy
    )
    app = create_app(settings, db)
    key_id, secret = make_key(world, title="Travelling")
    admin = login(TestClient(app), world.admin.email)

    def call(address: str) -> None:
        headers = {"Api-Key": secret, "X-Forwarded-For": address}
        assert TestClient(app).get(_projects(world), headers=headers).status_code == 200

    def seen() -> tuple[Any, Any]:
        key = admin.get(_keys_url(world, key_id)).json()
        return key["lastUsedDate"], key["lastUsedAddress"]

    assert seen() == (None, None)
    call("203.0.113.7")
    assert seen() == ("2030-06-15T12:00:00Z", "203.0.113.7")
    # At most once a minute: the time and the address change together.
    frozen_clock.set(NOW + timedelta(seconds=59))
    call("2001:db8::1")
    assert seen() == ("2030-06-15T12:00:00Z", "203.0.113.7")
    frozen_clock.set(NOW + timedelta(seconds=60))
    call("2001:db8::1")
    assert seen() == ("2030-06-15T12:01:00Z", "2001:db8::1")
    # Writes record it too (in the request's own transaction).
    frozen_clock.set(NOW + timedelta(minutes=5))
    headers = {"Api-Key": secret, "X-Forwarded-For": "198.51.100.2"}
    made = TestClient(app).post(_projects(world), json={"name": "P"}, headers=headers)
    assert made.status_code == 201
    assert seen() == ("2030-06-15T12:05:00Z", "198.51.100.2")
    listed = admin.get(_keys_url(world)).json()["items"][0]
    assert listed["lastUsedAddress"] == "198.51.100.2"
    usage_body = admin.get(_usage_url(world, key_id)).json()
    assert usage_body["lastUsedAddress"] == "198.51.100.2"


# --- unusedDays -----------------------------------------------------------------------------


@pytest.fixture
def used(frozen_clock, admin: TestClient, world: World) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Keys last used at known instants (title -> id); `never` was never used."""
    last_used = {
        "never": None,
        "just now": NOW,
        "29 days": NOW - timedelta(days=29),
        "exactly 30 days": NOW - timedelta(days=30),
        "30 days and a second": NOW - timedelta(days=30, seconds=1),
        "a year": NOW - timedelta(days=365),
    }
    ids = {}
    for title, at in last_used.items():
        key_id, _ = make_key(world, title=title)
        ids[title] = key_id
        with world.db.transaction() as s:
            s.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))
    make_key(world, org=world.other, title="Theirs, never used")
    return ids


def _titles(admin: TestClient, world: World, *filters: str) -> set[str]:
    response = admin.get(_keys_url(world), params={"filter": list(filters), "limit": 100})
    assert response.status_code == 200, response.text
    assert response.json()["total"] == len(response.json()["items"])
    return {k["title"] for k in response.json()["items"]}


def test_unused_days_filter(used, admin: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    assert _titles(admin, world, "unusedDays:>=:30") == {
        "never",
        "30 days and a second",
        "a year",
    }
    assert _titles(admin, world, "unusedDays:>=:1") == {
        "never",
        "29 days",
        "exactly 30 days",
        "30 days and a second",
        "a year",
    }
    assert _titles(admin, world, "unusedDays:>=:3650") == {"never"}
    assert _titles(admin, world, "unusedDays:>=:30", "title:contains:year") == {"a year"}
    # Sorting stays on lastUsedDate.
    response = admin.get(
        _keys_url(world), params={"filter": "unusedDays:>=:30", "sort": "-lastUsedDate"}
    )
    assert [k["title"] for k in response.json()["items"]] == [
        "30 days and a second",
        "a year",
        "never",
    ]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": "unusedDays:>:30"}, ">"),
        ({"filter": "unusedDays:=:30"}, "="),
        ({"filter": "unusedDays:is:30"}, "is"),
        ({"filter": "unusedDays:>=:0"}, "0"),
        ({"filter": "unusedDays:>=:3651"}, "3651"),
        ({"filter": "unusedDays:>=:-5"}, "-5"),
        ({"filter": "unusedDays:>=:1.5"}, "1.5"),
        ({"filter": "unusedDays:>=:abc"}, "abc"),
        ({"filter": "unusedDays:>=:"}, "needs a value"),
        ({"filter": "unusedDays:>="}, "needs a value"),
        ({"sort": "unusedDays"}, "unusedDays"),
        ({"filter": "status:is:expiring2"}, "expiring2"),
    ],
)
def test_unused_days_refuses_bad_queries(
    admin: TestClient, world: World, params: dict[str, Any], named: str
) -> None:
    response = admin.get(_keys_url(world), params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid_query"
    assert named in response.json()["detail"]
