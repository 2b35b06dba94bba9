"""The API-keys endpoints: creation rules, the created key, lists, and who may call them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from keyhouse.api_keys import service as keys_service
from keyhouse.auth import keys
from keyhouse.models import ApiKey
from tests.factories import World, actor_of, key_client, login, make_key

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the frozen clock's first instant
TODAY = NOW.date()


def _keys_url(world: World, key_id: str = "", org_id: str | None = None) -> str:
    base = f"/api/v1/organizations/{org_id or world.org.id}/api-keys"
    return f"{base}/{key_id}" if key_id else base


def _day(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def admin(frozen_clock, client: TestClient, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(client, world.admin.email)


# --- creation rules -------------------------------------------------------------------------

VALID = {"title": "Deploy bot", "expirationDate": _day(30), "role": "editor"}
MISSING = object()


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        pytest.param("title", "", "title", id="title-empty"),
        pytest.param("title", "   \t ", "title", id="title-whitespace"),
        pytest.param("title", "x" * 101, "title", id="title-101"),
        pytest.param("title", " " + "x" * 101 + " ", "title", id="title-101-trimmed"),
        pytest.param("title", "x" * 401, "title", id="title-huge"),
        pytest.param("title", "bell\x07", "title", id="title-control"),
        pytest.param("title", "line\nbreak", "title", id="title-newline"),
        pytest.param("title", "evil\u202etxt.exe", "title", id="title-bidi-override"),
        pytest.param("title", "isolate\u2066x", "title", id="title-bidi-isolate"),
        pytest.param("title", 42, "title", id="title-number"),
        pytest.param("title", None, "title", id="title-null"),
        pytest.param("title", MISSING, "title", id="title-missing"),
        pytest.param("expirationDate", _day(-1), "expirationDate", id="date-yesterday"),
        pytest.param("expirationDate", "2000-01-01", "expirationDate", id="date-long-past"),
        pytest.param("expirationDate", _day(731), "expirationDate", id="date-max-plus-one"),
        pytest.param("expirationDate", "2031-02-30", "expirationDate", id="date-feb-30"),
        pytest.param("expirationDate", "2031-13-01", "expirationDate", id="date-month-13"),
        pytest.param("expirationDate", "9999-12-31", "expirationDate", id="date-9999"),
        pytest.param("expirationDate", "2030-7-1", "expirationDate", id="date-unpadded"),
        pytest.param(
            "expirationDate", _day(30) + "T00:00:00", "expirationDate", id="date-with-time"
        ),
        pytest.param(
            "expirationDate", _day(30) + "T00:00:00Z", "expirationDate", id="date-with-zulu"
        ),
        pytest.param("expirationDate", _day(30) + "+02:00", "expirationDate", id="date-with-tz"),
        pytest.param("expirationDate", 20300715, "expirationDate", id="date-number"),
        pytest.param("expirationDate", "20300715", "expirationDate", id="date-basic-format"),
        pytest.param("expirationDate", "15/07/2030", "expirationDate", id="date-european"),
        pytest.param("expirationDate", "", "expirationDate", id="date-empty"),
        pytest.param("expirationDate", None, "expirationDate", id="date-null"),
        pytest.param("expirationDate", MISSING, "expirationDate", id="date-missing"),
        pytest.param("role", "Editor", "role", id="role-capitalised"),
        pytest.param("role", " editor", "role", id="role-space"),
        pytest.param("role", "administrator", "role", id="role-administrator"),
        pytest.param("role", "owner", "role", id="role-owner"),
        pytest.param("role", None, "role", id="role-null"),
        pytest.param("role", MISSING, "role", id="role-missing"),
        pytest.param("id", str(uuid.uuid4()), "id", id="extra-id"),
        pytest.param("createdBy", {"id": "x"}, "createdBy", id="extra-createdBy"),
        pytest.param("organizationId", str(uuid.uuid4()), "organizationId", id="extra-org"),
        pytest.param("secret", keys.generate(), "secret", id="extra-secret"),
        pytest.param("email", "me@keys.test", "email", id="extra-email"),
        pytest.param("status", "expired", "status", id="extra-status"),
        pytest.param("expiration_date", _day(30), "expiration_date", id="snake-case"),
    ],
)
def test_create_validation(
    admin: TestClient, world: World, field: str, value: Any, error_field: str
) -> None:
    body = dict(VALID)
    if value is MISSING:
        del body[field]
    else:
        body[field] = value
    response = admin.post(_keys_url(world), json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == error_field
    assert problem["errors"][0]["message"]
    assert "secret" not in problem or field == "secret"
    assert admin.get(_keys_url(world)).json()["total"] == 0


@pytest.mark.parametrize(
    ("title", "expiration", "stored_title"),
    [
        pytest.param("Today", _day(0), "Today", id="expires-today"),
        pytest.param("Longest", _day(730), "Longest", id="max-lifetime"),
        pytest.param("x" * 100, _day(1), "x" * 100, id="title-100"),
        pytest.param("  Padded title  ", _day(1), "Padded title", id="title-trimmed"),
        pytest.param("Données 🌍 α", _day(1), "Données 🌍 α", id="title-unicode"),
        pytest.param("y" * 100 + "   ", _day(1), "y" * 100, id="title-100-after-trim"),
    ],
)
def test_create_accepts(
    admin: TestClient, world: World, title: str, expiration: str, stored_title: str
) -> None:
    response = admin.post(
        _keys_url(world), json={"title": title, "expirationDate": expiration, "role": "viewer"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == stored_title
    assert response.json()["expirationDate"] == expiration


def test_max_lifetime_follows_the_setting(frozen_clock, app, world: World) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = world.settings.model_copy(update={"max_key_lifetime_days": 10})
    admin = login(TestClient(app), world.admin.email)
    ok = admin.post(_keys_url(world), json={**VALID, "expirationDate": _day(10)})
    assert ok.status_code == 201
    late = admin.post(_keys_url(world), json={**VALID, "title": "B", "expirationDate": _day(11)})
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "expirationDate"
    assert "10 days" in late.json()["errors"][0]["message"]


@pytest.mark.parametrize("variant", ["Deploy bot", "deploy BOT", "  DEPLOY BOT ", "Deploy bot\t"])
def test_title_taken_ignoring_case_and_surrounding_spaces(
    admin: TestClient, world: World, variant: str
) -> None:
    assert admin.post(_keys_url(world), json=VALID).status_code == 201
    again = admin.post(_keys_url(world), json={**VALID, "title": variant, "role": "viewer"})
    assert again.status_code == 409
    problem = again.json()
    assert problem["code"] == "title_taken"
    assert problem["errors"][0]["field"] == "title"
    assert admin.get(_keys_url(world)).json()["total"] == 1


def test_same_title_in_another_organization_is_fine(
    frozen_clock, client: TestClient, world: World
) -> None:
    make_key(world, title="Deploy bot")
    other_admin = login(client, world.other.people["admin"].email)
    response = other_admin.post(_keys_url(world, org_id=world.other.id), json=VALID)
    assert response.status_code == 201
    # A title freed by deletion can be used again.
    key_id = response.json()["id"]
    assert other_admin.delete(_keys_url(world, key_id, world.other.id)).status_code == 200
    again = other_admin.post(_keys_url(world, org_id=world.other.id), json=VALID)
    assert again.status_code == 201


def test_created_key(app, admin: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    response = admin.post(_keys_url(world), json=VALID)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    key = response.json()
    assert set(key) == {
        "id",
        "title",
        "role",
        "email",
        "createdBy",
        "creationDate",
        "expirationDate",
        "status",
        "lastUsedDate",
        "lastUsedAddress",
        "lastRolledDate",
        "previousSecretValidUntil",
        "secret",
    }
    assert str(uuid.UUID(key["id"])) == key["id"]
    assert key["title"] == "Deploy bot"
    assert key["role"] == "editor"
    assert key["email"] == f"api-key-{key['id']}@keys.test"
    assert key["createdBy"] == {
        "id": world.admin.member_id,
        "name": world.admin.name,
        "email": world.admin.email,
    }
    assert _instant(key["creationDate"]) == NOW
    assert key["expirationDate"] == VALID["expirationDate"]
    assert key["status"] == "active"
    assert key["lastUsedDate"] is None
    assert key["lastUsedAddress"] is None
    assert key["lastRolledDate"] is None and key["previousSecretValidUntil"] is None
    secret = key.pop("secret")
    assert keys.is_well_formed(secret)

    # Shown once: never again, anywhere.
    one = admin.get(_keys_url(world, key["id"]))
    assert one.status_code == 200 and one.json() == key
    listed = admin.get(_keys_url(world)).json()
    assert listed["items"] == [key]
    assert secret not in one.text and secret not in admin.get(_keys_url(world)).text

    # The secret works at once, as the key's role.
    kc = key_client(app, secret)
    project = kc.post(f"/api/v1/organizations/{world.org.id}/projects", json={"name": "P"})
    assert project.status_code == 201
    assert project.json()["owners"] == [
        {"id": key["id"], "type": "apiKey", "name": "Deploy bot", "email": key["email"]}
    ]


def test_every_key_gets_its_own_secret_and_email(admin: TestClient, world: World) -> None:
    created = [
        admin.post(_keys_url(world), json={**VALID, "title": f"K{i}"}).json() for i in range(3)
    ]
    assert len({k["secret"] for k in created}) == 3
    assert len({k["email"] for k in created}) == 3
    for key in created:
        assert key["email"].endswith("@keys.test")
        assert key["id"] in key["email"]


def test_unknown_key_id(admin: TestClient, world: World) -> None:
    for path in ("", "/deletion-preview"):
        response = admin.get(_keys_url(world, str(uuid.uuid4())) + path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = admin.delete(_keys_url(world, "not-even-a-uuid"))
    assert response.status_code == 404


# --- lists ----------------------------------------------------------------------------------


def _seed(world: World, frozen_clock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Five keys with known values; the clock then stands at 2030-06-18 12:00Z. title -> id."""
    admin = actor_of(world.org, world.admin)
    editor = actor_of(world.org, world.editor)
    rows = [
        ("alpha", "editor", "2030-07-01", admin, datetime(2030, 6, 15, 12, 0)),
        ("Bravo", "viewer", "2030-06-20", admin, datetime(2030, 6, 16, 9, 0)),
        ("charlie", "editor", "2030-06-20", editor, datetime(2030, 6, 16, 10, 30, 15)),
        ("delta", "viewer", "2030-08-01", admin, datetime(2030, 6, 16, 10, 30, 15)),
        ("echo", "editor", "2030-06-17", editor, datetime(2030, 6, 17, 8, 0)),
    ]
    ids: dict[str, str] = {}
    for title, role, expires, creator, created in rows:
        frozen_clock.set(created.replace(tzinfo=UTC))
        with world.db.transaction() as s:
            view, _ = keys_service.create(
                s,
                world.org.id,
                title=title,
                expiration_date=expires,
                role=role,
                creator=creator,
                max_lifetime_days=730,
                email_domain="keys.test",
                client=None,
            )
        ids[title] = view.id
    last_used = {
        "alpha": datetime(2030, 6, 18, 11, 0, tzinfo=UTC),
        "charlie": datetime(2030, 6, 17, 9, 15, tzinfo=UTC),
    }
    with world.db.transaction() as s:
        for title, at in last_used.items():
            s.execute(update(ApiKey).where(ApiKey.id == ids[title]).values(last_used_at=at))
    # A key of the other organization never shows up in acme's lists.
    with world.db.transaction() as s:
        keys_service.create(
            s,
            world.other.id,
            title="alpha",
            expiration_date="2030-07-01",
            role="editor",
            creator=actor_of(world.other, world.other.people["admin"]),
            max_lifetime_days=730,
            email_domain="keys.test",
            client=None,
        )
    frozen_clock.set(datetime(2030, 6, 18, 12, 0, tzinfo=UTC))
    return ids


@pytest.fixture
def seeded(frozen_clock, client: TestClient, world: World):  # type: ignore[no-untyped-def]
    ids = _seed(world, frozen_clock)
    return login(client, world.admin.email), ids


def _titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [k["title"] for k in response.json()["items"]]


def test_default_order_and_pagination(seeded, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, ids = seeded
    everything = admin.get(_keys_url(world)).json()
    assert everything["total"] == 5 and everything["limit"] == 25 and everything["offset"] == 0
    # Newest first; the two created at the same instant in descending id order.
    tied = sorted(["charlie", "delta"], key=lambda t: ids[t], reverse=True)
    assert [k["title"] for k in everything["items"]] == ["echo", *tied, "Bravo", "alpha"]
    statuses = {k["title"]: k["status"] for k in everything["items"]}
    # 2030-06-18, a 14-day warning: keys expiring up to 2030-07-02 are expiring.
    assert statuses == {
        "alpha": "expiring",
        "Bravo": "expiring",
        "charlie": "expiring",
        "delta": "active",
        "echo": "expired",
    }

    pages = []
    for offset in (0, 2, 4, 6):
        page = admin.get(_keys_url(world), params={"limit": 2, "offset": offset}).json()
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, offset)
        pages.append([k["title"] for k in page["items"]])
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    assert [t for p in pages for t in p] == [k["title"] for k in everything["items"]]
    filtered = admin.get(_keys_url(world), params={"filter": "role:is:viewer", "limit": 1}).json()
    assert filtered["total"] == 2 and len(filtered["items"]) == 1


SORT_VALUES: dict[str, Callable[[dict[str, Any]], Any]] = {
    "title": lambda k: k["title"].lower(),
    "id": lambda k: k["id"],
    "email": lambda k: k["email"],
    "createdBy": lambda k: k["createdBy"]["name"],
    "creationDate": lambda k: _instant(k["creationDate"]),
    "expirationDate": lambda k: date.fromisoformat(k["expirationDate"]),
    "role": lambda k: k["role"],
    "status": lambda k: ["active", "expiring", "expired"].index(k["status"]),
    "lastUsedDate": lambda k: _instant(k["lastUsedDate"]),
}


def _expected_order(items: list[dict[str, Any]], field: str, descending: bool) -> list[str]:
    value = SORT_VALUES[field]

    def key(k: dict[str, Any]) -> tuple[Any, ...]:
        v = value(k)
        # Nulls count as the smallest value; ties are broken by id.
        return (v is not None, v if v is not None else 0, k["id"])

    ordered = sorted(items, key=key, reverse=descending)
    return [k["title"] for k in ordered]


def test_sort_by_every_sortable_field(seeded, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, _ = seeded
    items = admin.get(_keys_url(world)).json()["items"]
    mismatches = []
    for field in SORT_VALUES:
        for descending in (False, True):
            sort = ("-" if descending else "") + field
            got = _titles(admin.get(_keys_url(world), params={"sort": sort}))
            want = _expected_order(items, field, descending)
            if got != want:
                mismatches.append(f"sort={sort}: got {got}, want {want}")
    assert not mismatches, "\n".join(mismatches)


def test_sort_by_several_fields(seeded, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, _ = seeded
    got = _titles(admin.get(_keys_url(world), params={"sort": "role,-expirationDate"}))
    assert got == ["alpha", "charlie", "echo", "delta", "Bravo"]
    got = _titles(admin.get(_keys_url(world), params={"sort": "-status,title"}))
    assert got == ["echo", "alpha", "Bravo", "charlie", "delta"]


FILTERS: list[tuple[list[str], set[str]]] = [
    (["title:contains:ha"], {"alpha", "charlie"}),
    (["title:contains:HA"], {"alpha", "charlie"}),
    (["title:equals:BRAVO"], {"Bravo"}),
    (["title:equals:brav"], set()),
    (["title:startsWith:d"], {"delta"}),
    (["title:endsWith:O"], {"Bravo", "echo"}),
    (["title:isEmpty"], set()),
    (["title:isNotEmpty"], {"alpha", "Bravo", "charlie", "delta", "echo"}),
    (["createdBy:contains:editor of"], {"charlie", "echo"}),
    (["createdBy:equals:editor@acme.test"], {"charlie", "echo"}),
    (["createdBy:startsWith:ADMIN@"], {"alpha", "Bravo", "delta"}),
    (["createdBy:contains:acme"], {"alpha", "Bravo", "charlie", "delta", "echo"}),
    (["creationDate:is:2030-06-16"], {"Bravo", "charlie", "delta"}),
    (["creationDate:not:2030-06-16"], {"alpha", "echo"}),
    (["creationDate:after:2030-06-16"], {"echo"}),
    (["creationDate:onOrAfter:2030-06-16"], {"Bravo", "charlie", "delta", "echo"}),
    (["creationDate:before:2030-06-16"], {"alpha"}),
    (["creationDate:onOrBefore:2030-06-16"], {"alpha", "Bravo", "charlie", "delta"}),
    (["creationDate:is:2030-06-16T10:30Z"], {"charlie", "delta"}),
    (["creationDate:is:2030-06-16T12:30:00+02:00"], {"charlie", "delta"}),
    (["creationDate:after:2030-06-16T10:30Z"], {"echo"}),
    (["creationDate:before:2030-06-16T10:30Z"], {"alpha", "Bravo"}),
    (["creationDate:onOrBefore:2030-06-16T10:30Z"], {"alpha", "Bravo", "charlie", "delta"}),
    (["creationDate:isNotEmpty"], {"alpha", "Bravo", "charlie", "delta", "echo"}),
    (["creationDate:is:9999-12-31"], set()),
    (["creationDate:before:9999-12-31T23:59Z"], {"alpha", "Bravo", "charlie", "delta", "echo"}),
    (["expirationDate:is:2030-06-20"], {"Bravo", "charlie"}),
    (["expirationDate:not:2030-06-20"], {"alpha", "delta", "echo"}),
    (["expirationDate:after:2030-06-20"], {"alpha", "delta"}),
    (["expirationDate:onOrAfter:2030-07-01"], {"alpha", "delta"}),
    (["expirationDate:before:2030-06-20"], {"echo"}),
    (["expirationDate:onOrBefore:2030-06-20"], {"Bravo", "charlie", "echo"}),
    (["role:is:viewer"], {"Bravo", "delta"}),
    (["role:not:viewer"], {"alpha", "charlie", "echo"}),
    (["role:isAnyOf:editor,viewer"], {"alpha", "Bravo", "charlie", "delta", "echo"}),
    (["role:isAnyOf:viewer"], {"Bravo", "delta"}),
    (["status:is:expired"], {"echo"}),
    (["status:is:active"], {"delta"}),
    (["status:is:expiring"], {"alpha", "Bravo", "charlie"}),
    (["status:not:active"], {"alpha", "Bravo", "charlie", "echo"}),
    (["status:not:expiring"], {"delta", "echo"}),
    (["status:isAnyOf:active,expired"], {"delta", "echo"}),
    (["status:isAnyOf:active,expiring,expired"], {"alpha", "Bravo", "charlie", "delta", "echo"}),
    (["lastUsedDate:isEmpty"], {"Bravo", "delta", "echo"}),
    (["lastUsedDate:isNotEmpty"], {"alpha", "charlie"}),
    (["lastUsedDate:onOrAfter:2030-06-18"], {"alpha"}),
    (["lastUsedDate:not:2030-06-18"], {"Bravo", "charlie", "delta", "echo"}),
    (["role:is:editor", "status:not:expired"], {"alpha", "charlie"}),
    (["role:is:editor", "status:is:expiring", "title:startsWith:c"], {"charlie"}),
    (["title:contains:a", "title:contains:l"], {"alpha", "charlie", "delta"}),
]


def test_filters(seeded, world: World) -> None:  # type: ignore[no-untyped-def]
    admin, ids = seeded
    mismatches = []
    cases = [
        *FILTERS,
        ([f"id:equals:{ids['delta']}"], {"delta"}),
        ([f"id:startsWith:{ids['delta'][:13].upper()}"], {"delta"}),
    ]
    for filters, expected in cases:
        response = admin.get(_keys_url(world), params={"filter": filters})
        got = set(_titles(response))
        if got != expected or response.json()["total"] != len(expected):
            mismatches.append(f"{filters}: got {sorted(got)}, want {sorted(expected)}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": "secret:contains:x"}, "secret"),
        ({"filter": "title:after:2030-01-01"}, "after"),
        ({"filter": "title:isEmpty:x"}, "takes no value"),
        ({"filter": "title"}, "field:operator:value"),
        ({"filter": "role:is:administrator"}, "administrator"),
        ({"filter": "role:isAnyOf:editor,owner"}, "owner"),
        ({"filter": "status:is:revoked"}, "revoked"),
        ({"filter": "expirationDate:is:2025-02-30"}, "2025-02-30"),
        ({"filter": "expirationDate:is:2025-2-3"}, "2025-2-3"),
        ({"filter": "expirationDate:is:2025-02-03T00:00Z"}, "2025-02-03T00:00Z"),
        ({"filter": "creationDate:is:2025-02-03T00:00"}, "2025-02-03T00:00"),
        ({"filter": "creationDate:is:0001-01-01T00:00+01:00"}, "0001-01-01T00:00+01:00"),
        ({"filter": "lastUsedDate:contains:2030"}, "contains"),
        ({"filter": ["title:contains:a"] * 11}, "filter"),
        ({"sort": "secret"}, "secret"),
        ({"sort": "-secretDigest"}, "secretDigest"),
        ({"sort": "title,title"}, "title"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
    ],
)
def test_invalid_queries(
    admin: TestClient, world: World, params: dict[str, Any], named: str
) -> None:
    response = admin.get(_keys_url(world), params=params)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "invalid_query"
    assert named in problem["detail"], problem["detail"]


# --- who may call ---------------------------------------------------------------------------


def _endpoints(world: World, key_id: str, org_id: str | None = None) -> list[tuple[str, str]]:
    return [
        ("GET", _keys_url(world, org_id=org_id)),
        ("POST", _keys_url(world, org_id=org_id)),
        ("GET", _keys_url(world, key_id, org_id)),
        ("GET", _keys_url(world, key_id, org_id) + "/deletion-preview"),
        ("DELETE", _keys_url(world, key_id, org_id)),
        ("DELETE", _keys_url(world, key_id, org_id) + "?deleteResources=true"),
    ]


def _call(client: TestClient, method: str, url: str):  # type: ignore[no-untyped-def]
    body = {"title": "Sneaky", "expirationDate": _day(1), "role": "editor"}
    return client.request(method, url, json=body if method == "POST" else None)


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("editor member", 403, "forbidden"),
        ("viewer member", 403, "forbidden"),
        ("editor key", 403, "forbidden"),
        ("viewer key", 403, "forbidden"),
        ("nobody", 401, "unauthenticated"),
        ("other org admin", 404, "not_found"),
        ("other org key", 404, "not_found"),
    ],
)
def test_only_administrator_sessions_manage_keys(
    frozen_clock, app, world: World, caller: str, status: int, code: str
) -> None:
    key_id, _ = make_key(world, title="Target")
    client = TestClient(app)
    if caller.endswith("member"):
        login(client, world.org.people[caller.split()[0]].email)
    elif caller in ("editor key", "viewer key"):
        _, secret = make_key(world, title=caller, role=caller.split()[0])
        client = key_client(app, secret)
    elif caller == "other org admin":
        login(client, world.other.people["admin"].email)
    elif caller == "other org key":
        _, secret = make_key(world, org=world.other, title="Theirs")
        client = key_client(app, secret)
    for method, url in _endpoints(world, key_id):
        response = _call(client, method, url)
        assert response.status_code == status, (method, url, response.text)
        assert response.json()["code"] == code
    # Nothing happened.
    admin = login(TestClient(app), world.admin.email)
    assert admin.get(_keys_url(world, key_id)).status_code == 200
    assert "Sneaky" not in admin.get(_keys_url(world)).text


def test_key_of_another_organization_answers_like_a_missing_one(
    frozen_clock, client: TestClient, world: World
) -> None:
    theirs, _ = make_key(world, org=world.other, title="Theirs")
    admin = login(client, world.admin.email)
    missing = str(uuid.uuid4())
    for method, url in _endpoints(world, theirs)[2:]:
        response = _call(admin, method, url)
        reference = _call(admin, method, url.replace(theirs, missing))
        assert response.status_code == 404, (method, url)
        assert response.json() == reference.json()
    # Globex's key is untouched.
    other_admin = login(TestClient(client.app), world.other.people["admin"].email)
    assert other_admin.get(_keys_url(world, theirs, world.other.id)).status_code == 200
