"""Authentication over HTTP: sessions, CSRF, API-key headers, expiry, last use, isolation."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from keyhouse.auth import keys
from keyhouse.core.db import Database
from tests.factories import PASSWORD, World, create_resource, key_client, login, make_key

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
LOGOUT = "/api/v1/auth/logout"


def _keys_url(world: World, key_id: str = "") -> str:
    base = f"/api/v1/organizations/{world.org.id}/api-keys"
    return f"{base}/{key_id}" if key_id else base


def _projects(org_id: str) -> str:
    return f"/api/v1/organizations/{org_id}/projects"


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def _problem(response, status: int, code: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    return body  # type: ignore[no-any-return]


# --- portal sessions ------------------------------------------------------------------------


def test_login_sets_session_and_csrf_cookies(client: TestClient, world: World) -> None:
    response = client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == world.admin.email
    assert body["user"]["name"] == world.admin.name
    assert body["memberships"] == [
        {
            "organization": {"id": world.org.id, "name": "Acme", "slug": "acme"},
            "memberId": world.admin.member_id,
            "role": "administrator",
        }
    ]
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session_cookie = cookies["kh_session"].lower()
    csrf_cookie = cookies["kh_csrf"].lower()
    assert "httponly" in session_cookie and "samesite=lax" in session_cookie
    assert "path=/" in session_cookie
    # The portal's script must read the CSRF value, so that cookie alone is readable.
    assert "httponly" not in csrf_cookie
    assert response.headers["cache-control"] == "no-store"
    # The session token is not the CSRF token and neither is in the body.
    token, csrf = client.cookies["kh_session"], client.cookies["kh_csrf"]
    assert token != csrf and len(token) >= 32 and len(csrf) >= 32
    assert token not in response.text and csrf not in response.text


def test_login_email_is_case_insensitive(client: TestClient, world: World) -> None:
    response = client.post(
        LOGIN, json={"email": "  " + world.editor.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["user"]["email"] == world.editor.email


def test_wrong_password_and_unknown_email_answer_alike(client: TestClient, world: World) -> None:
    wrong = client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD + "x"})
    unknown = client.post(LOGIN, json={"email": "nobody@acme.test", "password": PASSWORD})
    body = _problem(wrong, 401, "invalid_credentials")
    assert unknown.status_code == 401
    assert unknown.json() == body
    assert "kh_session" not in client.cookies
    assert "set-cookie" not in wrong.headers


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "a@b.test"}, "password"),
        ({"password": "x"}, "email"),
        ({"email": "", "password": "x"}, "email"),
        ({"email": "a@b.test", "password": "x", "remember": True}, "remember"),
    ],
)
def test_login_validation(client: TestClient, payload: dict[str, object], field: str) -> None:
    body = _problem(client.post(LOGIN, json=payload), 422, "validation_failed")
    assert body["errors"][0]["field"] == field  # type: ignore[index]


def test_me_requires_a_session(app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    _problem(client.get(ME), 401, "unauthenticated")
    login(client, world.viewer.email)
    me = client.get(ME).json()
    assert me["user"]["email"] == world.viewer.email
    assert [(m["organization"]["slug"], m["role"]) for m in me["memberships"]] == [
        ("acme", "viewer")
    ]
    _, secret = make_key(world)
    # A key has no user: /auth/me is for the portal.
    assert key_client(app, secret).get(ME).status_code == 403


def test_me_lists_every_membership(client: TestClient, world: World) -> None:
    from keyhouse.members import service as members
    from keyhouse.organizations import service as orgs

    with world.db.transaction() as s:
        user = orgs.find_user(s, world.editor.email)
        assert user is not None
        members.add(s, world.other.id, user, "viewer")
    login(client, world.editor.email)
    memberships = client.get(ME).json()["memberships"]
    assert {(m["organization"]["id"], m["role"]) for m in memberships} == {
        (world.org.id, "editor"),
        (world.other.id, "viewer"),
    }


def test_logout_ends_the_session_on_the_server(client: TestClient, world: World) -> None:
    login(client, world.admin.email)
    token = client.cookies["kh_session"]
    assert client.get(ME).status_code == 200
    out = client.post(LOGOUT)
    assert out.status_code == 204
    cleared = " ".join(out.headers.get_list("set-cookie"))
    assert "kh_session=" in cleared and "kh_csrf=" in cleared
    # Even a copy of the old cookie is worthless now.
    client.cookies.clear()
    client.cookies.set("kh_session", token)
    _problem(client.get(ME), 401, "unauthenticated")
    _problem(client.get(_keys_url(world)), 401, "unauthenticated")


def test_expired_session_is_refused(client: TestClient, world: World, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    login(client, world.admin.email)
    assert client.get(ME).status_code == 200
    frozen_clock.set(frozen_clock.at + timedelta(hours=world.settings.session_lifetime_hours))
    _problem(client.get(ME), 401, "unauthenticated")


def test_forged_session_cookie_is_refused(client: TestClient, world: World) -> None:
    client.cookies.set("kh_session", "not-a-session")
    _problem(client.get(_keys_url(world)), 401, "unauthenticated")


# --- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize("csrf", [None, "", "wrong", "the other session's"])
def test_unsafe_session_requests_need_the_csrf_header(
    app, client: TestClient, world: World, csrf: str | None
) -> None:
    login(client, world.admin.email)
    if csrf == "the other session's":
        csrf = login(TestClient(app), world.admin.email).cookies["kh_csrf"]
    if csrf is None:
        del client.headers["X-CSRF-Token"]
    else:
        client.headers["X-CSRF-Token"] = csrf
    body = {"title": "No CSRF", "expirationDate": "2099-01-01", "role": "viewer"}
    _problem(client.post(_keys_url(world), json=body), 403, "csrf_failed")
    _problem(client.post(LOGOUT), 403, "csrf_failed")
    # Safe methods need no token; nothing was created.
    listed = client.get(_keys_url(world))
    assert listed.status_code == 200 and listed.json()["total"] == 0


def test_api_key_requests_need_no_csrf(app, world: World) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(world)
    kc = key_client(app, secret)
    created = kc.post(_projects(world.org.id), json={"name": "No CSRF needed"})
    assert created.status_code == 201, created.text


# --- API-key headers ------------------------------------------------------------------------


@pytest.mark.parametrize("bearer", [False, True])
def test_api_key_header_and_bearer_both_work(app, world: World, bearer: bool) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(world)
    kc = key_client(app, secret, bearer=bearer)
    response = kc.get(_projects(world.org.id))
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 25, "offset": 0}


def test_bearer_scheme_is_case_insensitive(app, world: World) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(world)
    kc = TestClient(app, headers={"Authorization": f"bearer {secret}"})
    assert kc.get(_projects(world.org.id)).status_code == 200


@pytest.mark.parametrize("scheme", ["Basic", "Token", "Digest", ""])
def test_other_authorization_schemes_are_refused(app, world: World, scheme: str) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(world)
    value = f"{scheme} {secret}" if scheme else secret
    response = TestClient(app, headers={"Authorization": value}).get(_projects(world.org.id))
    _problem(response, 401, "api_key_invalid")
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_two_different_keys_are_ambiguous(app, world: World) -> None:  # type: ignore[no-untyped-def]
    _, first = make_key(world, title="First")
    _, second = make_key(world, title="Second")
    both = TestClient(app, headers={"Api-Key": first, "Authorization": f"Bearer {second}"})
    _problem(both.get(_projects(world.org.id)), 400, "ambiguous_credentials")
    # The same key twice is not ambiguous.
    same = TestClient(app, headers={"Api-Key": first, "Authorization": f"Bearer {first}"})
    assert same.get(_projects(world.org.id)).status_code == 200


def test_api_key_wins_over_a_session_cookie(app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    login(client, world.admin.email)
    _, secret = make_key(world, role="editor")
    client.headers["Api-Key"] = secret
    # The key (not the administrator's session) is the caller: key management is refused.
    _problem(client.get(_keys_url(world)), 403, "forbidden")


@pytest.mark.parametrize(
    "query",
    [
        "api_key={secret}",
        "API_KEY={secret}",
        "apikey=whatever",
        "api-key=x",
        "token=abc",
        "access_token=abc",
        "limit=5&key={secret}",
        "q={secret}",
        "filter=title:contains:x&x={secret}",
        "{secret}",
        "q=kh_aaaaaaaaaaaaaaaaaaaa",
    ],
)
def test_key_in_query_string_is_refused_and_not_logged(
    app, world: World, caplog: pytest.LogCaptureFixture, query: str
) -> None:
    _, secret = make_key(world)
    caplog.set_level(logging.DEBUG)
    url = _projects(world.org.id) + "?" + query.format(secret=secret)
    for client in (key_client(app, secret), TestClient(app)):
        response = client.get(url)
        body = _problem(response, 400, "api_key_in_url")
        assert secret not in response.text
        assert "content-security-policy" in response.headers
        assert body["detail"]
    # Public paths are guarded too.
    _problem(TestClient(app).get("/healthz?" + query.format(secret=secret)), 400, "api_key_in_url")
    # The server's own logs (the test client logs its URLs; that is the client's business).
    server_logs = [r.getMessage() for r in caplog.records if r.name.startswith("keyhouse")]
    assert any("/healthz" in line for line in server_logs)
    for line in server_logs:
        assert secret not in line and "kh_aaaa" not in line and "api_key" not in line


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"), id="wrong-checksum"),
        pytest.param(lambda s: s[:10] + ("A" if s[10] != "A" else "B") + s[11:], id="typo"),
        pytest.param(lambda s: s[:-1], id="truncated"),
        pytest.param(lambda s: s + "0", id="extended"),
        pytest.param(lambda s: s.upper(), id="upper-cased"),
        pytest.param(lambda s: "kh_", id="prefix-only"),
        pytest.param(lambda s: "", id="empty"),
        pytest.param(lambda s: "x" * 5000, id="huge"),
    ],
)
def test_malformed_key_is_refused_without_touching_the_database(app, world: World, mangle) -> None:
    _, secret = make_key(world)
    bad = mangle(secret)
    assert not keys.is_well_formed(bad)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(world.db.engine, "before_cursor_execute", count)
    try:
        response = key_client(app, bad).get(_projects(world.org.id))
    finally:
        event.remove(world.db.engine, "before_cursor_execute", count)
    _problem(response, 401, "api_key_invalid")
    assert statements == []


def test_unknown_well_formed_key_answers_like_a_malformed_one(app, world: World) -> None:  # type: ignore[no-untyped-def]
    unknown = key_client(app, keys.generate()).get(_projects(world.org.id))
    garbage = key_client(app, "kh_nonsense").get(_projects(world.org.id))
    body = _problem(unknown, 401, "api_key_invalid")
    assert garbage.json() == body


def test_no_credentials(client: TestClient, world: World) -> None:
    response = client.get(_projects(world.org.id))
    _problem(response, 401, "unauthenticated")
    assert "www-authenticate" in response.headers


# --- expiry and last use --------------------------------------------------------------------


def test_key_works_through_its_expiration_date_and_not_a_moment_longer(
    frozen_clock, app, client: TestClient, world: World
) -> None:
    key_id, secret = make_key(world, days=5)
    expires = (frozen_clock.at + timedelta(days=5)).date()
    kc = key_client(app, secret)
    last_moment = datetime(expires.year, expires.month, expires.day, tzinfo=UTC) + timedelta(
        days=1, microseconds=-1
    )
    frozen_clock.set(last_moment)
    assert kc.get(_projects(world.org.id)).status_code == 200
    assert kc.post(_projects(world.org.id), json={"name": "Last minute"}).status_code == 201

    frozen_clock.set(last_moment + timedelta(microseconds=1))
    body = _problem(kc.get(_projects(world.org.id)), 401, "api_key_expired")
    assert expires.isoformat() in body["detail"]  # type: ignore[operator]
    _problem(kc.post(_projects(world.org.id), json={"name": "Too late"}), 401, "api_key_expired")

    # Still listed, as expired, so what it owns can be handed over.
    admin = login(client, world.admin.email)
    listed = admin.get(_keys_url(world), params={"filter": "status:is:expired"}).json()
    assert [k["id"] for k in listed["items"]] == [key_id]
    key = admin.get(_keys_url(world, key_id)).json()
    assert key["status"] == "expired" and key["expirationDate"] == expires.isoformat()
    preview = admin.get(_keys_url(world, key_id) + "/deletion-preview").json()
    assert [r["name"] for r in preview["soleOwned"]] == ["Last minute"]


def test_last_used_is_written_at_most_once_a_minute(
    frozen_clock, app, client: TestClient, world: World
) -> None:
    key_id, secret = make_key(world)
    admin = login(client, world.admin.email)
    kc = key_client(app, secret)

    def last_used() -> datetime | None:
        return _instant(admin.get(_keys_url(world, key_id)).json()["lastUsedDate"])

    assert last_used() is None
    start = frozen_clock.at
    assert kc.get(_projects(world.org.id)).status_code == 200
    assert last_used() == start

    frozen_clock.set(start + timedelta(seconds=30))
    assert kc.get(_projects(world.org.id)).status_code == 200
    assert last_used() == start

    frozen_clock.set(start + timedelta(seconds=59, microseconds=999_999))
    kc.post(_projects(world.org.id), json={"name": "Within the minute"}).raise_for_status()
    assert last_used() == start

    frozen_clock.set(start + timedelta(seconds=61))
    assert kc.get(_projects(world.org.id)).status_code == 200
    assert last_used() == start + timedelta(seconds=61)

    # Unsafe requests record their use too (inside their own transaction).
    frozen_clock.set(start + timedelta(seconds=125))
    kc.post(_projects(world.org.id), json={"name": "Write"}).raise_for_status()
    assert last_used() == start + timedelta(seconds=125)

    # Refused calls are not uses.
    frozen_clock.set(start + timedelta(seconds=300))
    assert kc.get(_projects(world.other.id)).status_code == 404
    assert last_used() == start + timedelta(seconds=125)


def test_a_point_read_records_the_use_in_its_own_session_on_postgresql(
    frozen_clock, app, client: TestClient, world: World, db: Database, monkeypatch
) -> None:
    key_id, secret = make_key(world)
    admin = login(client, world.admin.email)
    kc = key_client(app, secret)
    project = kc.post(_projects(world.org.id), json={"name": "Stamped"}).json()
    start = frozen_clock.at
    frozen_clock.set(start + timedelta(seconds=61))
    if not db.is_sqlite:
        # A PostgreSQL point read autocommits each statement: the stamp is one of them, not
        # a side transaction on a second connection.
        def no_side_transaction(*_: object, **__: object) -> None:
            raise AssertionError("a side transaction was opened")

        monkeypatch.setattr(db, "transaction", no_side_transaction)
    assert kc.get(f"{_projects(world.org.id)}/{project['id']}").status_code == 200
    monkeypatch.undo()
    got = admin.get(_keys_url(world, key_id)).json()["lastUsedDate"]
    assert _instant(got) == start + timedelta(seconds=61)


def test_deleted_key_is_refused_on_the_very_next_request(
    app, client: TestClient, world: World
) -> None:
    key_id, secret = make_key(world)
    kc = key_client(app, secret)
    assert kc.get(_projects(world.org.id)).status_code == 200
    admin = login(client, world.admin.email)
    assert admin.delete(_keys_url(world, key_id)).status_code == 200
    _problem(kc.get(_projects(world.org.id)), 401, "api_key_invalid")
    _problem(kc.post(_projects(world.org.id), json={"name": "x"}), 401, "api_key_invalid")


# --- organizations --------------------------------------------------------------------------


def test_key_of_one_organization_cannot_reach_another(app, world: World) -> None:  # type: ignore[no-untyped-def]
    _, secret = make_key(world)
    kc = key_client(app, secret)
    other = kc.get(_projects(world.other.id))
    missing = kc.get(_projects(str(uuid.uuid4())))
    body = _problem(other, 404, "not_found")
    assert missing.status_code == 404 and missing.json() == body
    created = kc.post(_projects(world.other.id), json={"name": "Intrusion"})
    assert created.status_code == 404 and created.json() == body
    # Globex's own key sees nothing of it.
    _, theirs = make_key(world, org=world.other)
    assert key_client(app, theirs).get(_projects(world.other.id)).json()["total"] == 0


def test_member_of_one_organization_cannot_reach_another(client: TestClient, world: World) -> None:
    login(client, world.admin.email)
    other = client.get(f"/api/v1/organizations/{world.other.id}/api-keys")
    missing = client.get(f"/api/v1/organizations/{uuid.uuid4()}/api-keys")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()


# --- public endpoints and headers -----------------------------------------------------------


def test_public_endpoints(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    document = spec.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/v1/auth/login",
        "/api/v1/organizations/{orgId}/api-keys",
        "/api/v1/organizations/{orgId}/api-keys/{keyId}",
        "/api/v1/organizations/{orgId}/api-keys/{keyId}/deletion-preview",
        "/api/v1/organizations/{orgId}/members",
        "/api/v1/organizations/{orgId}/audit-events",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/organizations/{orgId}/api-keys/{keyId}"]) >= {"get", "delete"}
    config = client.get("/api/v1/config").json()
    assert config == {"maxKeyLifetimeDays": 730, "apiKeyEmailDomain": "keys.test"}


@pytest.mark.parametrize(
    "path", ["/healthz", "/api/v1/openapi.json", "/api/v1/auth/me", "/api/v1/nowhere"]
)
def test_security_headers_everywhere(client: TestClient, path: str) -> None:
    response = client.get(path)
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    if path.startswith("/api/"):
        assert response.headers["cache-control"] == "no-store"


def test_secrets_and_digests_never_leave_after_creation(client: TestClient, world: World) -> None:
    admin = login(client, world.admin.email)
    expires = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    created = admin.post(
        _keys_url(world), json={"title": "Shown once", "expirationDate": expires, "role": "editor"}
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = created.json()["secret"]
    assert keys.is_well_formed(secret)
    digest = keys.digest(secret)
    listed = admin.get(_keys_url(world))
    one = admin.get(_keys_url(world, created.json()["id"]))
    preview = admin.get(_keys_url(world, created.json()["id"]) + "/deletion-preview")
    audit = admin.get(f"/api/v1/organizations/{world.org.id}/audit-events")
    for response in (listed, one, preview, audit):
        assert response.status_code == 200
        assert secret not in response.text and secret[3:20] not in response.text
        assert digest not in response.text
        # The word only in the name of the date until which a rolled-out secret works.
        assert "secret" not in response.text.lower().replace("previoussecretvaliduntil", "")
    assert "secret" not in listed.json()["items"][0]


# --- hostile input --------------------------------------------------------------------------


def test_nul_bytes_in_input_never_cause_a_500(app, client: TestClient, world: World) -> None:
    login(client, world.admin.email)
    key_id, secret = make_key(world)
    org = world.org.id
    admin = TestClient(app, raise_server_exceptions=False)
    admin.cookies.update(client.cookies)
    admin.headers.update(client.headers)
    kc = TestClient(app, raise_server_exceptions=False, headers={"Api-Key": secret})
    project = create_resource(key_client(app, secret), org, "projects", "P")
    calls = [
        (admin, "GET", _keys_url(world), {"params": {"filter": "title:contains:a\x00b"}}),
        (admin, "GET", _keys_url(world) + "/a%00b", {}),
        (admin, "GET", "/api/v1/organizations/a%00b/api-keys", {}),
        (
            admin,
            "GET",
            f"/api/v1/organizations/{org}/members",
            {"params": {"filter": "name:equals:\x00"}},
        ),
        (admin, "DELETE", _keys_url(world, key_id), {"params": {"transferTo": "a\x00b"}}),
        (
            TestClient(app, raise_server_exceptions=False),
            "POST",
            LOGIN,
            {"json": {"email": "a\x00@b.test", "password": "x"}},
        ),
        (kc, "POST", _projects(org), {"json": {"name": "Q", "description": "a\x00b"}}),
        (kc, "PATCH", f"{_projects(org)}/{project['id']}", {"json": {"description": "\x00"}}),
        (
            kc,
            "POST",
            f"/api/v1/organizations/{org}/layers",
            {"json": {"name": "L", "projectId": "\x00", "dataSourceId": "\x00"}},
        ),
        (
            kc,
            "PUT",
            f"{_projects(org)}/{project['id']}/permissions",
            {"json": {"entries": [{"principalId": "\x00", "permission": "owner"}]}},
        ),
    ]
    failures = []
    for who, method, url, kwargs in calls:
        response = who.request(method, url, **kwargs)
        if response.status_code >= 500:
            failures.append(f"{method} {url} {kwargs}: {response.status_code}")
    assert not failures, "\n".join(failures)
