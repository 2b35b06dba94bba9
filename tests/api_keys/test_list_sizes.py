"""Key lists remember their run sizes per organization `keys_version`: never a stale total.

Every test lists first (so the sizes are remembered), changes something, and lists again,
comparing every page and total with the reference: `core.listing.apply()`'s statements,
which count everything afresh. A change that does not replace the organization's
`keys_version` in its own transaction shows up here as a stale total or a wrong page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from keyhouse.api_keys import service as keys_service
from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.core.listing import ListQuery, SizeCache, parse_list_query
from keyhouse.models import ApiKey, Organization, Principal
from tests.factories import (
    World,
    actor_of,
    create_resource,
    key_client,
    key_page_counted_afresh,
    login,
    make_key,
)

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the frozen clock's first instant

# (sort, filters): every kind of run (one run, status segments, nulls then values) with and
# without filters, including filters on the status (the day and the warning) and the role.
QUERIES: list[tuple[str, list[str]]] = [
    ("-creationDate", []),
    ("title", ["title:contains:deploy"]),
    ("-email", ["title:contains:-"]),
    ("status", []),
    ("-status", ["title:contains:deploy"]),
    ("lastUsedDate", ["title:contains:deploy"]),
    ("-lastUsedDate", []),
    ("expirationDate", ["status:is:expiring"]),
    ("role", ["role:is:viewer"]),
    ("-id", ["createdBy:contains:admin", "title:startsWith:backup"]),
    ("title", ["unusedDays:>=:1"]),
]
OFFSETS = (0, 2, 5, 9)
LIMIT = 3


def _query(sort: str, filters: list[str], offset: int, limit: int = LIMIT) -> ListQuery:
    return parse_list_query(
        keys_service.key_fields(clock.today()),
        limit=str(limit),
        offset=str(offset),
        sort=sort,
        filters=filters,
    )


reference = key_page_counted_afresh


def listed(db: Database, org_id: str, query: ListQuery, sizes: SizeCache | None) -> Any:
    with db.transaction(write=False) as s:
        page = keys_service.list_keys(s, org_id, query, sizes=sizes)
        return [k.id for k in page.items], page.total


def version(db: Database, org_id: str) -> int:
    with db.transaction(write=False) as s:
        found = s.scalar(select(Organization.keys_version).where(Organization.id == org_id))
        assert found is not None
        return int(found)


def check_all(check: Callable[[ListQuery], tuple[list[str], int]], db: Database, org: str) -> int:
    """Every query at every offset: as listed equals the reference. The pages compared."""
    compared = 0
    for sort, filters in QUERIES:
        for offset in OFFSETS:
            query = _query(sort, filters, offset)
            assert check(query) == reference(db, org, query), (sort, filters, offset)
            compared += 1
    return compared


def _api_page(admin: TestClient, org_id: str, query: ListQuery) -> tuple[list[str], int]:
    params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    if query.sort:
        params["sort"] = ",".join(("-" if k.descending else "") + k.field for k in query.sort)
    params["filter"] = [_raw(f) for f in query.filters]
    response = admin.get(f"/api/v1/organizations/{org_id}/api-keys", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [k["id"] for k in body["items"]], body["total"]


def _raw(flt: Any) -> str:
    value = flt.value
    if isinstance(value, tuple):
        value = ",".join(value)
    return f"{flt.field}:{flt.operator}" + ("" if value is None else f":{value}")


@pytest.fixture
def admin(frozen_clock, client: TestClient, world: World) -> TestClient:  # type: ignore[no-untyped-def]
    return login(client, world.admin.email)


@pytest.fixture
def keyring(frozen_clock, world: World) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A dozen keys: titles with and without 'deploy', both roles, active, expiring (within
    the 14-day warning) and soon-to-be expired ones, some used."""
    made = {}
    plan = [
        ("deploy-web", "editor", 30),
        ("deploy-api", "viewer", 3),
        ("deploy-etl", "editor", 0),
        ("backup-db", "viewer", 200),
        ("backup-files", "editor", 14),
        ("backup-logs", "viewer", 15),
        ("sync-crm", "editor", 1),
        ("deploy-mobile", "viewer", 90),
        ("report-weekly", "editor", 60),
        ("deploy-docs", "editor", 7),
        ("export-csv", "viewer", 400),
        ("monitor", "editor", 5),
    ]
    for i, (title, role, days) in enumerate(plan):
        frozen_clock.set(NOW - timedelta(hours=len(plan) - i))  # distinct creation times
        made[title], _ = make_key(world, title=title, role=role, days=days + 1)
    frozen_clock.set(NOW)
    with world.db.transaction() as s:  # some used, at distinct times (verification's stamp)
        for i, title in enumerate(("deploy-web", "backup-db", "sync-crm", "deploy-docs")):
            s.execute(
                update(ApiKey)
                .where(ApiKey.id == made[title])
                .values(last_used_at=NOW - timedelta(days=i + 1))
            )
    return made


# --- every change through the API, the CLI's services, and by hand ----------------------


def _owner(world: World, app: Any, title: str, kind: str) -> str:
    """A key that solely owns a resource (so its deletion settles something)."""
    key_id, secret = make_key(world, title=title)
    create_resource(key_client(app, secret), world.org.id, kind, f"{title}'s")
    return key_id


def _create(admin: TestClient, world: World, keyring: dict[str, str]) -> None:
    response = admin.post(
        f"/api/v1/organizations/{world.org.id}/api-keys",
        json={"title": "deploy-new", "expirationDate": "2030-06-20", "role": "viewer"},
    )
    assert response.status_code == 201, response.text


def _roll(admin: TestClient, world: World, keyring: dict[str, str]) -> None:
    key = keyring["backup-db"]
    response = admin.post(f"/api/v1/organizations/{world.org.id}/api-keys/{key}/roll", json={})
    assert response.status_code == 200, response.text


def _roll_to_expiring(admin: TestClient, world: World, keyring: dict[str, str]) -> None:
    key = keyring["deploy-mobile"]  # active -> expiring
    response = admin.post(
        f"/api/v1/organizations/{world.org.id}/api-keys/{key}/roll",
        json={"expirationDate": "2030-06-16"},
    )
    assert response.status_code == 200, response.text


def _delete_transferring(admin: TestClient, world: World, keyring: dict[str, str]) -> None:
    response = admin.delete(
        f"/api/v1/organizations/{world.org.id}/api-keys/{keyring['deploy-owner']}",
        params={"transferTo": world.editor.member_id},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["transferred"]) == 1


def _delete_with_resources(admin: TestClient, world: World, keyring: dict[str, str]) -> None:
    response = admin.delete(
        f"/api/v1/organizations/{world.org.id}/api-keys/{keyring['deploy-builder']}",
        params={"deleteResources": "true"},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["deleted"]) == 1


def _delete_plain(admin: TestClient, world: World, keyring: dict[str, str]) -> None:
    response = admin.delete(f"/api/v1/organizations/{world.org.id}/api-keys/{keyring['monitor']}")
    assert response.status_code == 200, response.text


API_CHANGES = {
    "create": _create,
    "roll": _roll,
    "roll with a new expiration date": _roll_to_expiring,
    "delete, transferring": _delete_transferring,
    "delete with resources": _delete_with_resources,
    "delete": _delete_plain,
}


@pytest.mark.parametrize("change", list(API_CHANGES))
def test_every_change_through_the_api_is_counted(
    app: Any, admin: TestClient, world: World, keyring: dict[str, str], change: str
) -> None:
    org = world.org.id

    def check(query: ListQuery) -> tuple[list[str], int]:
        return _api_page(admin, org, query)

    keyring["deploy-owner"] = _owner(world, app, "deploy-owner", "projects")
    keyring["deploy-builder"] = _owner(world, app, "deploy-builder", "datasources")
    check_all(check, world.db, org)  # remembered by this process's RUN_SIZES
    before = version(world.db, org)
    API_CHANGES[change](admin, world, keyring)
    assert version(world.db, org) != before
    assert check_all(check, world.db, org) == len(QUERIES) * len(OFFSETS)


def test_a_refused_creation_changes_nothing(
    admin: TestClient, world: World, keyring: dict[str, str]
) -> None:
    org = world.org.id
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    before = version(world.db, org)
    taken = admin.post(
        f"/api/v1/organizations/{org}/api-keys",
        json={"title": "DEPLOY-WEB", "expirationDate": "2030-06-20", "role": "viewer"},
    )
    assert taken.status_code == 409
    assert version(world.db, org) == before
    check_all(lambda q: _api_page(admin, org, q), world.db, org)


# Changes no endpoint makes today (a key is never renamed or re-roled through the API), by
# hand: the triggers catch any writer, and any counted column.
BY_HAND: dict[str, dict[str, Any]] = {
    "rename": {"title": "deploy-renamed", "title_key": "deploy-renamed"},
    "rename away from the filter": {"title": "Renamed", "title_key": "renamed"},
    "role change": {"role": "viewer"},
    "expiry change": {"expiration_date": NOW.date() - timedelta(days=2)},
    "creator renamed": {"created_by_name": "Someone Else", "created_by_email": "x@y.test"},
}


@pytest.mark.parametrize("change", list(BY_HAND))
def test_an_update_by_hand_is_counted(
    admin: TestClient, world: World, keyring: dict[str, str], change: str
) -> None:
    org = world.org.id
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    before = version(world.db, org)
    with world.db.transaction() as s:
        s.execute(update(ApiKey).where(ApiKey.id == keyring["sync-crm"]).values(**BY_HAND[change]))
    assert version(world.db, org) != before
    check_all(lambda q: _api_page(admin, org, q), world.db, org)


def test_a_key_deleted_by_a_cascade_is_counted(
    admin: TestClient, world: World, keyring: dict[str, str]
) -> None:
    """Deleting the key's principal deletes the key by ON DELETE CASCADE: still counted."""
    org = world.org.id
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    before = version(world.db, org)
    with world.db.transaction() as s:
        s.execute(delete(Principal).where(Principal.id == keyring["deploy-api"]))
    assert version(world.db, org) != before
    check_all(lambda q: _api_page(admin, org, q), world.db, org)


@pytest.mark.parametrize("how", ["transferTo", "deleteResources"])
def test_removing_a_member_keeps_key_lists_exact(
    app: Any, admin: TestClient, world: World, keyring: dict[str, str], how: str
) -> None:
    """A member's removal settles resources, never keys (their creator is kept by value):
    the number does not change, and the lists stay exact."""
    org = world.org.id
    editor = login(TestClient(app), world.editor.email)
    create_resource(editor, org, "projects", "Editor's")
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    before = version(world.db, org)
    params = {"transferTo": world.editor2.member_id} if how == "transferTo" else {how: "true"}
    response = admin.delete(
        f"/api/v1/organizations/{org}/members/{world.editor.member_id}", params=params
    )
    assert response.status_code == 200, response.text
    assert version(world.db, org) == before
    check_all(lambda q: _api_page(admin, org, q), world.db, org)


def test_the_last_use_stamp_changes_no_number_and_lists_by_it_stay_exact(
    app: Any, frozen_clock: Any, admin: TestClient, world: World, keyring: dict[str, str]
) -> None:
    """Verification stamps the last use without touching the organization row; counts
    that depend on it (sort by last use, unusedDays) are counted every time."""
    org = world.org.id
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    before = version(world.db, org)
    _, secret = make_key(world, title="deploy-fresh")  # never used yet
    assert version(world.db, org) != before
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    before = version(world.db, org)
    response = key_client(app, secret).get(f"/api/v1/organizations/{org}/projects")
    assert response.status_code == 200
    with world.db.transaction(write=False) as s:
        stamped = s.scalar(select(ApiKey.last_used_at).where(ApiKey.title == "deploy-fresh"))
    assert stamped is not None  # the key left the never-used run
    assert version(world.db, org) == before
    check_all(lambda q: _api_page(admin, org, q), world.db, org)


def test_a_new_day_and_a_new_warning_are_new_states(
    frozen_clock: Any, admin: TestClient, world: World, keyring: dict[str, str]
) -> None:
    """The status segments depend on the day and the organization's warning: both name
    the remembered sizes, so neither needs a new number."""
    org = world.org.id
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    frozen_clock.set(NOW + timedelta(days=2))  # keys expire, others start expiring
    login(admin, world.admin.email)  # (the session ended meanwhile)
    check_all(lambda q: _api_page(admin, org, q), world.db, org)
    response = admin.patch(f"/api/v1/organizations/{org}/settings", json={"expiryWarningDays": 40})
    assert response.status_code == 200, response.text
    check_all(lambda q: _api_page(admin, org, q), world.db, org)


# --- the sizes are remembered, and only where they may be -------------------------------


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def grab(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", grab)
    yield seen
    event.remove(db.engine, "before_cursor_execute", grab)


def _counts(statements: list[str]) -> int:
    return sum("count(*)" in s for s in statements)


def test_a_remembered_total_is_not_counted_again(
    world: World, keyring: dict[str, str], statements: list[str]
) -> None:
    org, sizes = world.org.id, SizeCache()
    deep = _query("-creationDate", ["title:contains:deploy"], 2)
    segments = _query("status", ["title:contains:deploy"], 4)
    for query in (deep, segments):
        assert listed(world.db, org, query, sizes) == reference(world.db, org, query)
    statements.clear()
    for query in (deep, segments, _query("title", ["title:contains:deploy"], 5)):
        assert listed(world.db, org, query, sizes) == reference(world.db, org, query)
        own = [s for s in statements if "api_keys" in s and "count(*) AS count_1 FROM (" not in s]
        assert _counts(own) == 0, own  # apply()'s own count is the reference's
        statements.clear()
    # Sorted by last use: the never-used run is counted every time; the total is not.
    by_use = _query("lastUsedDate", ["title:contains:deploy"], 1)
    listed(world.db, org, by_use, sizes)
    statements.clear()
    listed(world.db, org, by_use, sizes)
    assert _counts(statements) == 1 and "last_used_at IS NULL" in next(
        s for s in statements if "count(*)" in s
    )
    # A filter on the last use is never remembered.
    unused = _query("title", ["unusedDays:>=:1"], 0)
    listed(world.db, org, unused, sizes)
    statements.clear()
    listed(world.db, org, unused, sizes)
    assert _counts(statements) == 1
    # After a change, counted afresh (a count, or PostgreSQL's walk to the end).
    make_key(world, title="deploy-late")
    for query in (deep, segments):
        statements.clear()
        found = listed(world.db, org, query, sizes)
        assert any("count(*)" in s or "MOVE FORWARD ALL" in s for s in statements)
        assert found == reference(world.db, org, query)


def _create_viewer(
    session: Session, world: World, org: str, title: str, expires: date = date(2030, 7, 1)
) -> None:
    """A viewer key created by the organization's administrator, in `session`."""
    keys_service.create(
        session,
        org,
        title=title,
        expiration_date=expires.isoformat(),
        role="viewer",
        creator=actor_of(world.org, world.admin),
        max_lifetime_days=730,
        email_domain="keys.test",
        client=None,
    )


def test_another_worker_change_is_seen_at_once(
    world: World, keyring: dict[str, str], db: Database
) -> None:
    """Two workers: two engines on the same database, each with its own remembered sizes.
    What one changes, the other's next list counts: the number lives in the database."""
    org = world.org.id
    other = Database(db.url)
    try:
        mine, theirs = SizeCache(), SizeCache()
        queries = [_query(sort, filters, 1) for sort, filters in QUERIES]
        for q in queries:
            assert (
                listed(db, org, q, mine) == listed(other, org, q, theirs) == reference(db, org, q)
            )
        # The other worker creates a key, then deletes one.
        with other.transaction() as s:
            _create_viewer(s, world, org, "deploy-elsewhere", clock.today() + timedelta(days=2))
        for q in queries:
            assert listed(db, org, q, mine) == reference(db, org, q)
        with other.transaction() as s:
            keys_service.delete_key(
                s,
                org,
                keyring["deploy-api"],
                transfer_to=None,
                delete_resources=False,
                actor=None,
                client=None,
            )
        for q in queries:
            assert listed(db, org, q, mine) == reference(db, org, q)
            assert listed(other, org, q, theirs) == reference(db, org, q)
    finally:
        other.dispose()


def test_a_change_rolled_back_leaves_no_usable_size(world: World, keyring: dict[str, str]) -> None:
    """A list inside a transaction that changed keys and then rolled back remembers sizes
    under a number that never becomes the organization's: the next change's number is
    another one (numbers are random, not counted up)."""
    org, sizes = world.org.id, SizeCache()
    alpha = _query("title", ["title:contains:alpha"], 0)
    session = world.db.session(write=True)
    try:
        _create_viewer(session, world, org, "alpha")
        page = keys_service.list_keys(session, org, alpha, sizes=sizes)
        assert page.total == 1
        session.rollback()
    finally:
        session.close()
    make_key(world, title="beta")  # one change after the rolled-back one
    assert listed(world.db, org, alpha, sizes) == reference(world.db, org, alpha) == ([], 0)


def test_a_change_committed_while_a_list_is_read(
    world: World, keyring: dict[str, str], db: Database, engine_name: str
) -> None:
    """A change committed between the list's reading of the number and its counts (which
    PostgreSQL's READ COMMITTED lets each statement see): nothing is remembered under the
    number read first, and the answer is the one counting afresh gives."""
    org, sizes = world.org.id, SizeCache()
    query = _query("-creationDate", ["title:contains:deploy"], 0)
    before = reference(db, org, query)
    writer = Database(db.url)
    done: list[bool] = []

    def commit_a_change(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "keys_version" in statement and "expiry_warning_days" in statement and not done:
            done.append(True)
            with writer.transaction() as s:
                _create_viewer(s, world, org, "deploy-racer")

    event.listen(db.engine, "after_cursor_execute", commit_a_change)
    try:
        with db.transaction(write=False) as s:
            first = keys_service.list_keys(s, org, query, sizes=sizes)
            fresh = keys_service.list_keys(s, org, query, sizes=None)
        assert done
        assert ([k.id for k in first.items], first.total) == (
            [k.id for k in fresh.items],
            fresh.total,
        )
        # SQLite's read transaction keeps its snapshot; PostgreSQL's statements see the change.
        assert first.total == before[1] + (engine_name == "postgresql")
        after = reference(db, org, query)
        assert after[1] == before[1] + 1
        assert listed(db, org, query, sizes) == after
    finally:
        event.remove(db.engine, "after_cursor_execute", commit_a_change)
        writer.dispose()


def test_pages_agree_with_apply_everywhere_warm_and_cold(
    world: World, keyring: dict[str, str]
) -> None:
    """Every sortable column both ways, with and without a filter, at every offset,
    through the remembered sizes (warm) and counting afresh (cold)."""
    org, warm = world.org.id, SizeCache()
    fields = keys_service.key_fields(clock.today())
    sortable = [name for name, f in fields.items() if f.sortable]
    for filters in ([], ["title:contains:deploy"], ["title:contains:-"], ["status:not:active"]):
        for name in sortable:
            for sort in (name, "-" + name):
                for offset, limit in ((0, 4), (1, 4), (5, 1), (6, 4), (11, 4), (12, 4), (15, 4)):
                    query = _query(sort, filters, offset, limit)
                    expected = reference(world.db, org, query)
                    assert listed(world.db, org, query, warm) == expected, (sort, offset)
                    assert listed(world.db, org, query, SizeCache()) == expected
                    assert listed(world.db, org, query, None) == expected
