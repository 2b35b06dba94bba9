"""Abuse: brute force, forged headers, cross-origin writes, odd bodies, hostile input, logs.

The module's `settings` fixture allows only 3 failed authentications per client and 4 kB
bodies, so the limits are reached with a handful of requests. The failure limiter's clock
stands still (nothing here depends on how fast the machine is), and the portal is a stub,
so the portal fallback is tested whether or not the real one has been built.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from keyhouse import app as keyhouse_app
from keyhouse.app import create_app
from keyhouse.auth import keys
from keyhouse.core import clock
from keyhouse.core.config import Settings
from keyhouse.core.db import Database
from keyhouse.core.ratelimit import FailureLimiter
from keyhouse.models import ApiKey, AuditEvent, Permission, Resource
from keyhouse.resources import service as resources_service
from tests.factories import (
    PASSWORD,
    World,
    create_resource,
    key_client,
    login,
    make_key,
)

LIMIT = 3
MAX_BODY = 4096
LOGIN = "/api/v1/auth/login"
KINDS = ("datasources", "projects", "layers", "tables")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        secret_key="test-secret",
        api_key_email_domain="keys.test",
        auth_failure_limit=LIMIT,
        auth_failure_window_seconds=60,
        max_body_bytes=MAX_BODY,
    )


def _app_with(settings: Settings, db: Database, **changes: Any) -> Any:
    app = create_app(settings.model_copy(update=changes), db)
    app.state.auth_limiter = FailureLimiter(
        app.state.settings.auth_failure_limit,
        app.state.settings.auth_failure_window_seconds,
        monotonic=lambda: 1_000.0,
    )
    return app


@pytest.fixture
def app(settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    portal = tmp_path / "portal"
    portal.mkdir()
    (portal / "index.html").write_text("<!doctype html><title>Keyhouse</title>")
    monkeypatch.setattr(keyhouse_app, "PORTAL_DIR", portal)
    return _app_with(settings, db)


def _url(world: World, path: str) -> str:
    return f"/api/v1/organizations/{world.org.id}/{path}"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _bad_key(n: int) -> str:
    """A well-formed key (right shape and checksum) that was never issued."""
    head = keys.PREFIX + keys.encode_base62(n, keys.BODY_LENGTH)
    return head + keys.checksum(head)


def _assert_limited(response: httpx.Response) -> None:
    _problem(response, 429, "rate_limited")
    # The limiter's clock stands still: the whole window is still ahead.
    assert response.headers["retry-after"] == "60"


def _admin(app: Any, world: World, **kwargs: Any) -> TestClient:
    return login(TestClient(app, **kwargs), world.admin.email)


def _expires(days: int = 30) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


# --- failed-authentication limit ------------------------------------------------------------


def _failures_then_limit(statuses: list[int]) -> None:
    """The first LIMIT-1 failures answer 401; from the LIMIT-th on, at the latest, 429."""
    assert statuses[: LIMIT - 1] == [401] * (LIMIT - 1), statuses
    assert statuses[LIMIT - 1] in (401, 429), statuses
    assert set(statuses[LIMIT:]) == {429}, statuses


def test_bad_keys_are_limited_while_a_valid_key_keeps_working(app: Any, world: World) -> None:
    _, secret = make_key(world)
    client = TestClient(app)
    projects = _url(world, "projects")
    statuses = []
    for n in range(LIMIT + 2):
        response = client.get(projects, headers={"Api-Key": _bad_key(n)})
        statuses.append(response.status_code)
    _failures_then_limit(statuses)
    _assert_limited(client.get(projects, headers={"Api-Key": _bad_key(99)}))
    # Garbage that fails the checksum (no database lookup) is limited just the same.
    _assert_limited(client.get(projects, headers={"Authorization": "Bearer kh_nonsense"}))
    # The same client with a valid key is not slowed down at all: reads and writes work.
    assert client.get(projects, headers={"Api-Key": secret}).status_code == 200
    made = client.post(projects, headers={"Api-Key": secret}, json={"name": "Still works"})
    assert made.status_code == 201


def test_bad_passwords_are_limited_even_for_the_right_password(app: Any, world: World) -> None:
    client = TestClient(app)
    statuses = []
    for n in range(LIMIT + 1):
        response = client.post(LOGIN, json={"email": world.admin.email, "password": f"guess {n}"})
        statuses.append(response.status_code)
    _failures_then_limit(statuses)
    right = client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD})
    _assert_limited(right)
    assert "kh_session" not in right.cookies
    # Guessing passwords does not lock out API keys used from the same address.
    _, secret = make_key(world)
    assert client.get(_url(world, "projects"), headers={"Api-Key": secret}).status_code == 200


def test_bad_keys_and_bad_passwords_share_one_budget(app: Any, world: World) -> None:
    client = TestClient(app)
    for n in range(LIMIT - 1):
        assert (
            client.get(_url(world, "projects"), headers={"Api-Key": _bad_key(n)}).status_code == 401
        )
    guess = client.post(LOGIN, json={"email": world.admin.email, "password": "guess"})
    assert guess.status_code in (401, 429)
    _assert_limited(client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD}))


def _failed_login_addresses(world: World) -> list[str | None]:
    with world.db.transaction(write=False) as s:
        return list(
            s.scalars(
                select(AuditEvent.client_address)
                .where(AuditEvent.action == "auth.login_failed")
                .order_by(AuditEvent.occurred_at, AuditEvent.id)
            ).all()
        )


def test_a_forged_forwarded_for_does_not_dodge_the_limit(app: Any, world: World) -> None:
    """No trusted proxy configured: X-Forwarded-For is the client's own claim and ignored."""
    client = TestClient(app)
    statuses = []
    for n in range(LIMIT + 2):
        response = client.post(
            LOGIN,
            json={"email": world.admin.email, "password": "guess"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        statuses.append(response.status_code)
    _failures_then_limit(statuses)
    # The audit trail names the real peer, never the forged addresses.
    addresses = _failed_login_addresses(world)
    assert addresses and set(addresses) == {"testclient"}


def test_forwarded_for_is_honoured_only_from_a_trusted_proxy(
    settings: Settings, db: Database, world: World
) -> None:
    app = _app_with(settings, db, trusted_proxies="testclient")
    client = TestClient(app)

    def guess(forwarded: str) -> int:
        return client.post(
            LOGIN,
            json={"email": world.admin.email, "password": "guess"},
            headers={"X-Forwarded-For": forwarded},
        ).status_code

    statuses = [guess("198.51.100.7") for _ in range(LIMIT + 1)]
    _failures_then_limit(statuses)
    # Another client behind the same proxy has its own budget.
    assert guess("198.51.100.8") == 401
    # The client cannot escape by prepending addresses: the proxy appends the real one, and
    # the nearest untrusted hop (from the right) is the client.
    assert guess("10.9.9.9, 198.51.100.7") == 429
    assert guess("127.0.0.1, 10.0.0.1, 198.51.100.7") == 429
    right = client.post(
        LOGIN,
        json={"email": world.admin.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.7"},
    )
    _assert_limited(right)
    addresses = set(_failed_login_addresses(world))
    assert addresses == {"198.51.100.7", "198.51.100.8"}


# --- security headers -----------------------------------------------------------------------


def _boom(*_args: object, **_kwargs: object) -> Any:
    raise RuntimeError("unexpected failure with /etc/passwd in its message")


Exchange = Callable[[Any, World, pytest.MonkeyPatch], httpx.Response]


def _limited_response(app: Any, world: World, _mp: pytest.MonkeyPatch) -> httpx.Response:
    client = TestClient(app)
    for n in range(LIMIT):
        client.get(_url(world, "projects"), headers={"Api-Key": _bad_key(n)})
    return client.get(_url(world, "projects"), headers={"Api-Key": _bad_key(LIMIT)})


def _server_error(app: Any, world: World, mp: pytest.MonkeyPatch) -> httpx.Response:
    _, secret = make_key(world)
    mp.setattr(resources_service, "list_resources", _boom)
    client = TestClient(app, raise_server_exceptions=False, headers={"Api-Key": secret})
    return client.get(_url(world, "projects"))


EXCHANGES: dict[str, Exchange] = {
    "public api": lambda app, w, _: TestClient(app).get("/api/v1/config"),
    "session api": lambda app, w, _: _admin(app, w).get("/api/v1/auth/me"),
    "created key": lambda app, w, _: _admin(app, w).post(
        _url(w, "api-keys"), json={"title": "Hdr", "expirationDate": _expires(), "role": "viewer"}
    ),
    "portal page": lambda app, w, _: TestClient(app).get("/organizations/x/api-keys"),
    "portal index": lambda app, w, _: TestClient(app).get("/"),
    "health": lambda app, w, _: TestClient(app).get("/healthz"),
    "401": lambda app, w, _: TestClient(app).get(_url(w, "projects")),
    "403 csrf": lambda app, w, _: TestClient(app, cookies=_admin(app, w).cookies).post(
        _url(w, "projects"), json={"name": "x"}
    ),
    "404": lambda app, w, _: TestClient(app).get("/api/v1/nowhere"),
    "405": lambda app, w, _: TestClient(app).put("/api/v1/config", json={}),
    "400 key in url": lambda app, w, _: TestClient(app).get("/api/v1/config?api_key=x"),
    "403 origin": lambda app, w, _: TestClient(app).post(
        LOGIN, json={"email": "a@b.c", "password": "x"}, headers={"Origin": "https://evil.test"}
    ),
    "413": lambda app, w, _: TestClient(app).post(LOGIN, json={"email": "a" * MAX_BODY}),
    "415": lambda app, w, _: TestClient(app).post(
        LOGIN, content=b"x", headers={"Content-Type": "text/plain"}
    ),
    "422": lambda app, w, _: TestClient(app).post(LOGIN, json={}),
    "429": _limited_response,
    "500": _server_error,
}


@pytest.mark.parametrize("name", list(EXCHANGES))
def test_security_headers_on_every_kind_of_response(
    app: Any, world: World, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    response = EXCHANGES[name](app, world, monkeypatch)
    expected_status = {"portal page": 200, "portal index": 200, "created key": 201}
    if name[:3].isdigit():
        assert response.status_code == int(name[:3]), response.text
    else:
        assert response.status_code == expected_status.get(name, 200), response.text
    headers = response.headers
    csp = {
        part.strip().split(" ", 1)[0]: part.strip()
        for part in headers.get("content-security-policy", "").split(";")
        if part.strip()
    }
    assert csp.get("frame-ancestors") == "frame-ancestors 'none'", headers
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp.get("object-src") == "object-src 'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    if response.request.url.path.startswith("/api/"):
        assert headers["cache-control"] == "no-store"
    elif name.startswith("portal"):
        # The portal's HTML is revalidated, so a deployment is picked up at once.
        assert headers["cache-control"] == "no-cache"
    if response.status_code >= 400:
        assert headers["content-type"].startswith("application/problem+json")
        assert "/etc/passwd" not in response.text
    assert "access-control-allow-origin" not in headers


def test_only_the_api_docs_page_allows_inline_scripts(client: TestClient) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    assert "'unsafe-inline'" in csp and "frame-ancestors 'none'" in csp
    for path in ("/api/docs/", "/api/docsx", "/docs"):
        # Not followed: /api/docs/ answers with a redirect to the page, itself strict.
        other = client.get(path, follow_redirects=False).headers["content-security-policy"]
        assert "script-src 'self';" in other, path


# --- cookies --------------------------------------------------------------------------------


def _set_cookies(response: httpx.Response) -> dict[str, Any]:
    jar: dict[str, Any] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            jar[name] = morsel
    return jar


def test_session_cookies_are_httponly_and_samesite(client: TestClient, world: World) -> None:
    response = client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    cookies = _set_cookies(response)
    session, csrf = cookies["kh_session"], cookies["kh_csrf"]
    assert session["httponly"] is True
    # The portal's script reads the CSRF cookie to echo it in a header: not HttpOnly.
    assert not csrf["httponly"]
    for morsel in (session, csrf):
        assert morsel["samesite"].lower() in ("lax", "strict")
        assert morsel["path"] == "/"
        assert not morsel["secure"]  # plain http, and not configured
    # The body carries no credential.
    assert session.value not in response.text and csrf.value not in response.text


@pytest.mark.parametrize("how", ["configured", "https"])
def test_cookies_are_secure_when_configured_or_over_https(
    settings: Settings, db: Database, world: World, how: str
) -> None:
    if how == "configured":
        client = TestClient(_app_with(settings, db, cookie_secure=True))
    else:
        client = TestClient(_app_with(settings, db), base_url="https://testserver")
    response = client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD})
    assert response.status_code == 200
    cookies = _set_cookies(response)
    assert cookies["kh_session"]["secure"] is True
    assert cookies["kh_csrf"]["secure"] is True


# --- cross-origin writes --------------------------------------------------------------------


def _key_count(world: World) -> int:
    with world.db.transaction(write=False) as s:
        return s.scalar(select(func.count()).select_from(ApiKey)) or 0


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://testserver.evil.example",
        "http://evil.example/http://testserver",
        "http://testserver:8443",
        "null",
    ],
)
def test_a_foreign_origin_cannot_write(app: Any, world: World, origin: str) -> None:
    admin = _admin(app, world)
    before = _key_count(world)
    body = {"title": "Cross-site", "expirationDate": _expires(), "role": "editor"}
    refused = admin.post(_url(world, "api-keys"), json=body, headers={"Origin": origin})
    _problem(refused, 403, "origin_mismatch")
    assert _key_count(world) == before
    key_id, secret = make_key(world, title="Target")
    by_key = key_client(app, secret).delete(
        _url(world, f"api-keys/{key_id}"), headers={"Origin": origin}
    )
    _problem(by_key, 403, "origin_mismatch")
    # Reads are not refused (no CORS header lets a foreign page read them anyway).
    read = admin.get(_url(world, "api-keys"), headers={"Origin": origin})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


@pytest.mark.parametrize("origin", ["http://testserver", "https://testserver", None])
def test_same_origin_and_originless_writes_work(app: Any, world: World, origin: str | None) -> None:
    admin = _admin(app, world)
    headers = {"Origin": origin} if origin else {}
    body = {"title": f"Same {origin}", "expirationDate": _expires(), "role": "editor"}
    assert admin.post(_url(world, "api-keys"), json=body, headers=headers).status_code == 201


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b'{"name": "Plain"}'),
        ("application/x-www-form-urlencoded", b"name=Form"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nM\r\n--x--\r\n',
        ),
        ("application/jsonp", b'{"name": "Almost"}'),
        (None, b'{"name": "Untyped"}'),
    ],
)
def test_non_json_bodies_are_refused(
    app: Any, world: World, content_type: str | None, content: bytes
) -> None:
    _, secret = make_key(world)
    headers = {"Api-Key": secret}
    if content_type:
        headers["Content-Type"] = content_type
    response = TestClient(app).post(_url(world, "projects"), content=content, headers=headers)
    _problem(response, 415, "unsupported_media_type")
    with world.db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Resource)) == 0
    ok = TestClient(app).post(
        _url(world, "projects"),
        content=b'{"name": "Typed"}',
        headers={**headers, "Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201


def test_oversized_bodies_are_refused(app: Any, world: World) -> None:
    _, secret = make_key(world)
    client = TestClient(app, headers={"Api-Key": secret, "Content-Type": "application/json"})
    url = _url(world, "projects")
    fits = b'{"name": "Fits", "description": "' + b"d" * 2000 + b'"}'
    assert len(fits) < MAX_BODY
    assert client.post(url, content=fits).status_code == 201
    padded = b'{"name": "Too big"}' + b" " * MAX_BODY
    _problem(client.post(url, content=padded), 413, "payload_too_large")

    # Without a Content-Length (chunked), the limit holds while the body streams in.
    def chunks() -> Any:
        yield b'{"name": "Streamed"}'
        for _ in range(8):
            yield b" " * 1024

    streamed = client.post(url, content=chunks())
    assert "content-length" not in streamed.request.headers
    _problem(streamed, 413, "payload_too_large")
    with world.db.transaction(write=False) as s:
        names = set(s.scalars(select(Resource.name)).all())
    assert names == {"Fits"}


# --- logs -----------------------------------------------------------------------------------


def test_no_credential_ever_reaches_the_logs(
    app: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="keyhouse.access")
    caplog.set_level(logging.DEBUG, logger="keyhouse")
    # SQL logging is off by default; an operator may turn it on to debug.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    wrong_password = "Tr0ub4dor&3-not-the-password"
    client = TestClient(app)
    signed_in = client.post(LOGIN, json={"email": world.admin.email, "password": PASSWORD})
    assert signed_in.status_code == 200
    session_token = client.cookies["kh_session"]
    csrf = client.cookies["kh_csrf"]
    client.headers["X-CSRF-Token"] = csrf
    created = client.post(
        _url(world, "api-keys"),
        json={"title": "Logged?", "expirationDate": _expires(), "role": "editor"},
    )
    secret = created.json()["secret"]
    for headers in ({"Api-Key": secret}, {"Authorization": f"Bearer {secret}"}):
        kc = TestClient(app, headers=headers)
        assert kc.get(_url(world, "projects")).status_code == 200
        assert kc.post(_url(world, "projects"), json={"name": "P"}).status_code in (201, 422)
    assert TestClient(app).get(_url(world, f"projects?api_key={secret}")).status_code == 400
    assert TestClient(app).get(_url(world, f"projects?q={secret}")).status_code == 400
    failed = TestClient(app).post(
        LOGIN, json={"email": world.editor.email, "password": wrong_password}
    )
    assert failed.status_code == 401
    unknown = TestClient(app).post(
        LOGIN, json={"email": "nobody@x.test", "password": wrong_password}
    )
    assert unknown.status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 204

    assert caplog.records, "nothing was logged at all"
    assert any(r.name == "keyhouse.access" for r in caplog.records)
    forbidden = {
        "secret": secret,
        "secret body": secret[3:35],
        "password": PASSWORD,
        "wrong password": wrong_password,
        "session token": session_token,
        "csrf token": csrf,
    }
    # What a client library logs about its own requests (the URL it was given) is the
    # client's business; everything the server side logs must be clean.
    client_side = ("httpx", "httpx2", "httpcore")
    for record in caplog.records:
        if record.name.split(".")[0] in client_side:
            continue
        texts = [record.getMessage(), repr(record.args), record.exc_text or "", str(record.msg)]
        if record.exc_info and record.exc_info[1] is not None:
            texts.append(repr(record.exc_info[1]))
        for label, value in forbidden.items():
            for text in texts:
                assert value not in text, f"{label} logged by {record.name}: {text[:200]}"


# --- hostile input --------------------------------------------------------------------------


def _statements(db: Database) -> Any:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    return seen, count


@pytest.mark.parametrize("header", ["Api-Key", "Authorization"])
def test_an_oversized_key_header_is_refused_without_database_work(
    app: Any, world: World, header: str
) -> None:
    huge = "kh_" + "A" * 10_000
    value = f"Bearer {huge}" if header == "Authorization" else huge
    seen, count = _statements(world.db)
    event.listen(world.db.engine, "before_cursor_execute", count)
    try:
        response = TestClient(app).get(_url(world, "projects"), headers={header: value})
    finally:
        event.remove(world.db.engine, "before_cursor_execute", count)
    _problem(response, 401, "api_key_invalid")
    assert seen == []
    assert huge not in response.text


LOOK_ALIKES = {
    "cyrillic k in the prefix": lambda s: "\u043a" + s[1:],
    "cyrillic a in the body": lambda s: s[:10] + "\u0430" + s[11:],
    "fullwidth digit": lambda s: s[:-1] + "\uff10",
    "zero-width space": lambda s: s[:20] + "\u200b" + s[20:],
    "trailing nbsp": lambda s: s + "\u00a0",
    "right-to-left override": lambda s: "\u202e" + s,
}


@pytest.mark.parametrize("name", list(LOOK_ALIKES))
def test_look_alike_characters_never_authenticate(app: Any, world: World, name: str) -> None:
    _, secret = make_key(world)
    forged = LOOK_ALIKES[name](secret)
    client = TestClient(app, raise_server_exceptions=False)
    for header, value in (("Api-Key", forged), ("Authorization", f"Bearer {forged}")):
        response = client.get(_url(world, "projects"), headers={header: value.encode("utf-8")})
        assert 400 <= response.status_code < 500, response.text
        assert response.status_code == 401
        assert response.json()["code"] == "api_key_invalid"


@pytest.mark.parametrize("header", ["Api-Key", "Authorization"])
def test_two_keys_in_one_request_are_refused(app: Any, world: World, header: str) -> None:
    """The same header twice (as proxies and clients can send it) is as ambiguous as two."""
    _, first = make_key(world, title="First")
    _, second = make_key(world, title="Second")
    prefix = "Bearer " if header == "Authorization" else ""
    lines = [(header, prefix + first), (header, prefix + second)]
    response = TestClient(app).get(_url(world, "projects"), headers=lines)
    _problem(response, 400, "ambiguous_credentials")
    # Api-Key and Bearer together, each naming a different key.
    mixed = [("Api-Key", first), ("Authorization", f"Bearer {second}"), ("Api-Key", first)]
    _problem(
        TestClient(app).get(_url(world, "projects"), headers=mixed), 400, "ambiguous_credentials"
    )


def _everything(world: World) -> tuple[set[Any], set[Any]]:
    with world.db.transaction(write=False) as s:
        resources = set(s.execute(select(Resource.id, Resource.name, Resource.description)).all())
        entries = set(
            s.execute(
                select(Permission.resource_id, Permission.principal_id, Permission.level)
            ).all()
        )
    return resources, entries


def test_a_viewer_key_cannot_write_anything(app: Any, world: World) -> None:
    viewer_id, viewer_secret = make_key(world, title="Viewer", role="viewer")
    admin = _admin(app, world)
    org = world.org.id
    source = create_resource(admin, org, "datasources", "S")
    project = create_resource(admin, org, "projects", "P")
    made = {
        "datasources": source,
        "projects": project,
        "layers": create_resource(
            admin, org, "layers", "L", project=project["id"], source=source["id"]
        ),
        "tables": create_resource(
            admin, org, "tables", "T", project=project["id"], source=source["id"]
        ),
    }
    for kind, resource in made.items():
        admin.put(
            _url(world, f"{kind}/{resource['id']}/permissions"),
            json={
                "entries": [
                    {"principalId": world.admin.member_id, "permission": "owner"},
                    {"principalId": viewer_id, "permission": "view"},
                ]
            },
        ).raise_for_status()
    before = _everything(world)
    viewer = key_client(app, viewer_secret)
    for kind, resource in made.items():
        one = _url(world, f"{kind}/{resource['id']}")
        assert viewer.get(one).status_code == 200  # it can see them
        create_body: dict[str, Any] = {"name": "Nope"}
        if kind in ("layers", "tables"):
            create_body |= {"projectId": project["id"], "dataSourceId": source["id"]}
        attempts = [
            viewer.post(_url(world, kind), json=create_body),
            viewer.patch(one, json={"name": "Renamed"}),
            viewer.patch(one, json={"description": "Changed"}),
            viewer.delete(one),
            viewer.put(
                one + "/permissions",
                json={"entries": [{"principalId": viewer_id, "permission": "owner"}]},
            ),
            viewer.put(
                one + "/permissions",
                json={"entries": [{"principalId": world.admin.member_id, "permission": "owner"}]},
            ),
        ]
        for attempt in attempts:
            _problem(attempt, 403, "forbidden")
    assert _everything(world) == before


MANAGEMENT = [
    ("GET", "api-keys", None),
    ("POST", "api-keys", {"title": "By a key", "expirationDate": "EXPIRES", "role": "editor"}),
    ("GET", "api-keys/{key}", None),
    ("GET", "api-keys/{key}/deletion-preview", None),
    ("DELETE", "api-keys/{key}", None),
    ("GET", "members", None),
    ("GET", "members/{member}", None),
    ("PATCH", "members/{member}", {"role": "administrator"}),
    ("GET", "members/{member}/deletion-preview", None),
    ("DELETE", "members/{member}", None),
    ("GET", "audit-events", None),
]


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_keys_cannot_manage_the_organization_and_every_attempt_is_audited(
    app: Any, world: World, role: str
) -> None:
    key_id, secret = make_key(world, title="Caller", role=role)
    other_id, _ = make_key(world, title="Other")
    client = key_client(app, secret)
    keys_before = _key_count(world)
    for method, path, body in MANAGEMENT:
        url = _url(world, path.format(key=other_id, member=world.editor.member_id))
        if body and "expirationDate" in body:
            body = {**body, "expirationDate": _expires()}
        response = client.request(method, url, json=body)
        _problem(response, 403, "forbidden")
    # The attempt at its own deletion is refused the same way.
    _problem(client.delete(_url(world, f"api-keys/{key_id}")), 403, "forbidden")
    assert _key_count(world) == keys_before
    with world.db.transaction(write=False) as s:
        denied = s.execute(
            select(AuditEvent.actor_id, AuditEvent.actor_type, AuditEvent.target_name).where(
                AuditEvent.action == "access.denied"
            )
        ).all()
        roles = dict(s.execute(select(ApiKey.id, ApiKey.role)).all())
    assert roles[key_id] == role
    assert len(denied) == len(MANAGEMENT) + 1
    assert {(a, t) for a, t, _ in denied} == {(key_id, "apiKey")}
    names = sorted(n for _, _, n in denied)
    expected = sorted(
        f"{m} /api/v1/organizations/{{orgId}}/{p}".replace("{key}", "{keyId}").replace(
            "{member}", "{memberId}"
        )
        for m, p, _ in [*MANAGEMENT, ("DELETE", "api-keys/{key}", None)]
    )
    assert names == expected


SQL_FRAGMENTS = [
    "' OR 1=1 --",
    "'; DROP TABLE api_keys; --",
    '" OR ""="',
    "1) UNION SELECT secret_digest FROM api_keys --",
    "\\'; SELECT pg_sleep(10); --",
]


def test_sql_fragments_in_sort_and_filter_are_inert(app: Any, world: World) -> None:
    admin = _admin(app, world)
    for n, fragment in enumerate(SQL_FRAGMENTS):
        make_key(world, title=f"k{n} {fragment}")
    make_key(world, title="Plain")
    keys_url = _url(world, "api-keys")
    total = admin.get(keys_url).json()["total"]
    assert total == len(SQL_FRAGMENTS) + 1
    for sort in ("title;DROP TABLE api_keys", "title desc", "(select 1)", "title,-id;--"):
        _problem(admin.get(keys_url, params={"sort": sort}), 400, "invalid_query")
    for n, fragment in enumerate(SQL_FRAGMENTS):
        for operator in ("contains", "equals", "startsWith", "endsWith"):
            value = f"k{n} {fragment}" if operator in ("equals", "startsWith") else fragment
            found = admin.get(keys_url, params={"filter": f"title:{operator}:{value}"})
            assert found.status_code == 200, found.text
            assert [k["title"] for k in found.json()["items"]] == [f"k{n} {fragment}"], (
                operator,
                fragment,
            )
        for field in ("title;DROP TABLE api_keys", f"title{fragment}"):
            _problem(
                admin.get(keys_url, params={"filter": f"{field}:contains:x"}), 400, "invalid_query"
            )
        # Every list accepts the fragments only as literal values.
        for path, flt in (
            ("members", f"name:contains:{fragment}"),
            ("projects", f"name:contains:{fragment}"),
            ("audit-events", f"targetName:contains:{fragment}"),
        ):
            listed = admin.get(_url(world, path), params={"filter": flt})
            assert listed.status_code == 200, listed.text
            if path != "audit-events":
                assert listed.json()["items"] == []
    assert admin.get(keys_url).json()["total"] == total


def test_like_wildcards_and_escapes_are_literal(app: Any, world: World) -> None:
    admin = _admin(app, world)
    titles = ["100% sure", "a_b", "aXb", "back\\slash", "plain", "under__score"]
    for title in titles:
        make_key(world, title=title)
    cases = {
        "contains:%": ["100% sure"],
        "contains:_": ["a_b", "under__score"],
        "contains:a_b": ["a_b"],
        "contains:__": ["under__score"],
        "contains:\\": ["back\\slash"],
        "contains:\\s": ["back\\slash"],
        "startsWith:%": [],
        "endsWith:_b": ["a_b"],
        "equals:a%b": [],
        "contains:[a-z]": [],
    }
    for query, expected in cases.items():
        found = admin.get(_url(world, "api-keys"), params={"filter": f"title:{query}"})
        assert found.status_code == 200, found.text
        assert sorted(k["title"] for k in found.json()["items"]) == expected, query


def test_deleting_twice_answers_404_for_members_and_resources(app: Any, world: World) -> None:
    admin = _admin(app, world)
    member = _url(world, f"members/{world.viewer.member_id}")
    assert admin.delete(member).status_code == 200
    _problem(admin.delete(member), 404, "not_found")
    project = create_resource(admin, world.org.id, "projects", "Once")
    one = _url(world, f"projects/{project['id']}")
    assert admin.delete(one).status_code == 204
    _problem(admin.delete(one), 404, "not_found")
    key_id, _ = make_key(world)
    assert admin.delete(_url(world, f"api-keys/{key_id}")).status_code == 200
    _problem(admin.delete(_url(world, f"api-keys/{key_id}")), 404, "not_found")
