"""Sorting keys by email is sorting them by id (`api_keys.service.key_fields`): a key's email
is `api-key-{id}@{domain}`, so the ids decide before any domain does, in the database's own
collation. These tests hold the database to that, since the list relies on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from keyhouse.api_keys.service import key_email
from keyhouse.core.db import Database
from tests.factories import World, login, make_key

DOMAINS = st.sampled_from(
    [
        "api-keys.keyhouse.invalid",
        "a.invalid",
        "zz.invalid",
        "keys.example.com",
        "0.invalid",
        "API-KEYS.EXAMPLE",
        "ü-schlüssel.invalid",
    ]
)


@pytest.fixture
def emails_table(db: Database) -> Iterator[list[str]]:
    """A scratch table of (id, email) and the collations to check on this database."""
    with db.transaction() as session:
        session.execute(text("CREATE TABLE email_order (id VARCHAR(36), email VARCHAR(320))"))
    collations = [""]
    if not db.is_sqlite:
        with db.transaction(write=False) as session:
            # A linguistic collation as a production database may use (ICU, when built in).
            found = session.execute(
                text(
                    "SELECT collname FROM pg_collation WHERE collname IN ('und-x-icu', 'en-x-icu')"
                )
            ).scalars()
            collations += [f' COLLATE "{name}"' for name in found]
    yield collations
    with db.transaction() as session:
        session.execute(text("DROP TABLE email_order"))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keys=st.lists(
        st.tuples(st.uuids(version=4), DOMAINS), min_size=2, max_size=30, unique_by=lambda k: k[0]
    )
)
def test_emails_sort_as_their_ids_in_the_database_collation(
    db: Database, emails_table: list[str], keys: list[tuple[uuid.UUID, str]]
) -> None:
    rows = [{"id": str(i), "email": key_email(str(i), domain)} for i, domain in keys]
    with db.transaction() as session:
        session.execute(text("DELETE FROM email_order"))
        session.execute(text("INSERT INTO email_order VALUES (:id, :email)"), rows)
    with db.transaction(write=False) as session:
        for collate in emails_table:
            for direction in ("ASC", "DESC"):
                # Collation names from pg_collation, directions from the loop: no input.
                order = f"SELECT id FROM email_order ORDER BY {{}}{collate} {direction}"  # noqa: S608
                by_email = session.execute(text(order.format("email"))).scalars()
                by_id = session.execute(text(order.format("id"))).scalars()
                assert list(by_email) == list(by_id), (collate, direction)


def test_the_key_list_sorted_by_email_is_in_email_order(
    frozen_clock,
    client: TestClient,
    world: World,  # type: ignore[no-untyped-def]
) -> None:
    admin = login(client, world.admin.email)
    domains = ["zz.invalid", "a.invalid", world.settings.api_key_email_domain]
    for i in range(12):
        world.settings.api_key_email_domain = domains[i % 3]
        make_key(world, title=f"key {i}")
    url = f"/api/v1/organizations/{world.org.id}/api-keys"
    for sort, reverse in (("email", False), ("-email", True)):
        listed = admin.get(url, params={"sort": sort, "limit": 100}).json()
        emails = [item["email"] for item in listed["items"]]
        assert len(emails) == 12
        assert emails == sorted(emails, reverse=reverse)
        assert {e.split("@")[1] for e in emails} == set(domains)
