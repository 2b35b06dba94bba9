"""Bulk test data: organizations, people, API keys and resources, inserted in bulk.

Nothing here goes through the services (they are what is measured): rows are written with
sqlite3 `executemany` or PostgreSQL `COPY`, in the exact storage formats SQLAlchemy uses, so
the service reads them back as if it had written them.
"""

from __future__ import annotations

import os
import random
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text

from keyhouse.auth import keys
from keyhouse.core.db import Database
from keyhouse.core.migrate import upgrade
from keyhouse.models import OWNER, VIEW, ApiKey

EMAIL_DOMAIN = "keys.bench.invalid"
WORDS = (
    "deploy",
    "backup",
    "etl",
    "sync",
    "monitor",
    "export",
    "import",
    "report",
    "billing",
    "search",
    "mobile",
    "web",
    "ingest",
    "audit",
    "partner",
    "staging",
)
NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)  # the benchmark's "now" (a frozen clock)
BATCH = 20_000


def new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Person:
    user_id: str
    member_id: str
    name: str
    email: str
    role: str


@dataclass
class World:
    """What a loaded database holds that the measurements need to know."""

    url: str
    org_id: str = ""
    other_org_id: str = ""
    people: list[Person] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # of keys in the big organization
    other_secrets: list[str] = field(default_factory=list)  # keys of other organizations
    key_count: int = 0
    big_org_keys: int = 0

    @property
    def admin(self) -> Person:
        return self.people[0]


# ---------------------------------------------------------------------------- writing rows


def _sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def _sqlite_value(value: Any) -> Any:
    # SQLAlchemy's SQLite storage formats (DateTime keeps microseconds, no offset).
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Writer:
    """Bulk inserts into one database, in one transaction per `bulk` call."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = db.is_sqlite

    def bulk(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        if self.sqlite:
            conn = sqlite3.connect(_sqlite_path(self.db.url), isolation_level=None)
            try:
                conn.execute("PRAGMA synchronous = OFF")
                conn.execute("PRAGMA cache_size = -1000000")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("BEGIN")
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
                for chunk in _chunks(rows, BATCH):
                    conn.executemany(sql, [[_sqlite_value(v) for v in r] for r in chunk])
                    count += len(chunk)
                conn.execute("COMMIT")
            finally:
                conn.close()
            return count
        raw = self.db.engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with driver.cursor() as cur, cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            driver.commit()
        finally:
            raw.close()
        return count

    def analyze(self, *tables: str) -> None:
        """Planner statistics, of `tables` or of everything."""
        with self.db.engine.connect() as conn:
            if self.sqlite:
                for target in tables or ("",):
                    conn.exec_driver_sql(f"ANALYZE {target}".strip())
            else:
                auto = conn.execution_options(isolation_level="AUTOCOMMIT")
                for target in tables or ("",):
                    auto.exec_driver_sql(f"VACUUM ANALYZE {target}".strip())
            conn.commit()


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------------------- databases


def fresh_database(url: str) -> Database:
    """An empty database at `url`, migrated to head (PostgreSQL: its schema is recreated)."""
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        db = Database(url)
    else:
        db = Database(url)
        schema = pg_schema_of(url)
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    upgrade(db)
    return db


def pg_url(base: str, schema: str) -> str:
    """`base` (postgresql://…) with every connection's search_path set to `schema`."""
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def pg_schema_of(url: str) -> str:
    query = urlsplit(url).query
    for part in query.split("&"):
        if part.startswith("options=-csearch_path%3D"):
            return part.removeprefix("options=-csearch_path%3D")
    return "public"


def drop_pg_schema(db: Database) -> None:
    schema = pg_schema_of(db.url)
    if schema != "public":
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


# ---------------------------------------------------------------------------- the world


def load_world(
    db: Database,
    *,
    total_keys: int,
    big_org_keys: int,
    other_orgs: int,
    sample_secrets: int = 2000,
    seed: int = 5,
) -> World:
    """`big_org_keys` keys in one organization, the rest spread over `other_orgs` others,
    inserted in random organization order (so the big organization's rows are interleaved
    with everyone else's, as they would be after years of use)."""
    rng = random.Random(seed)
    w = Writer(db)
    world = World(url=db.url, key_count=total_keys, big_org_keys=big_org_keys)
    orgs = [new_id(rng) for _ in range(other_orgs + 1)]
    world.org_id = orgs[0]
    world.other_org_id = orgs[1]
    created = NOW - timedelta(days=800)
    w.bulk(
        "organizations",
        ("id", "name", "slug", "created_at"),
        ((o, f"Org {i}", f"org-{i}", created) for i, o in enumerate(orgs)),
    )
    roles = ["administrator", "administrator", "editor", "editor", "editor", "viewer"]
    people: list[Person] = []
    for i, role in enumerate(roles):
        people.append(
            Person(new_id(rng), new_id(rng), f"Person {i} {role.title()}", f"p{i}@big.test", role)
        )
    other_admins = [
        Person(new_id(rng), new_id(rng), f"Admin {i}", f"admin@org-{i}.test", "administrator")
        for i in range(1, other_orgs + 1)
    ]
    world.people = people
    hash_ = "$argon2id$v=19$m=8,t=1,p=1$bm9wZQ$bm9wZQ"  # nobody signs in during the benchmark
    w.bulk(
        "users",
        ("id", "email", "name", "password_hash", "created_at"),
        ((p.user_id, p.email, p.name, hash_, created) for p in people + other_admins),
    )
    memberships = [(orgs[0], p) for p in people] + [
        (orgs[i + 1], p) for i, p in enumerate(other_admins)
    ]
    w.bulk(
        "principals",
        ("id", "organization_id", "kind"),
        ((p.member_id, org, "member") for org, p in memberships),
    )
    w.bulk(
        "members",
        ("id", "organization_id", "user_id", "role", "created_at"),
        ((p.member_id, org, p.user_id, p.role, created) for org, p in memberships),
    )

    # Which organization each key belongs to, in insertion order.
    others = total_keys - big_org_keys
    owners = [0] * big_org_keys + [1 + (i % other_orgs) for i in range(others)]
    rng.shuffle(owners)
    counters = [0] * len(orgs)
    secrets_big = min(sample_secrets, big_org_keys)
    secrets_other = min(sample_secrets, others)
    creators = [p for p in people if p.role == "administrator"]
    key_rows: list[tuple[Any, ...]] = []
    sampled: set[str] = set()  # digests of keys whose secret is kept: never expired
    for org_index in owners:
        n = counters[org_index]
        counters[org_index] += 1
        key_id = new_id(rng)
        if org_index == 0 and n < secrets_big:
            secret = keys.generate()
            world.secrets.append(secret)
            digest = keys.digest(secret)
            sampled.add(digest)
        elif org_index != 0 and len(world.other_secrets) < secrets_other and n == 0:
            secret = keys.generate()
            world.other_secrets.append(secret)
            digest = keys.digest(secret)
            sampled.add(digest)
        else:
            digest = rng.getrandbits(256).to_bytes(32, "big").hex()
        title = f"{WORDS[rng.randrange(16)]}-{WORDS[rng.randrange(16)]} {n:06d}"
        made = NOW - timedelta(seconds=rng.randrange(730 * 86400))
        # A fifth of the keys have expired; the rest run up to two years from now.
        if rng.random() < 0.2 and digest not in sampled:
            expires = NOW.date() - timedelta(days=rng.randrange(1, 365))
        else:
            expires = NOW.date() + timedelta(days=rng.randrange(0, 730))
        if rng.random() < 0.3:
            used: datetime | None = None
        else:
            used = made + (NOW - made) * rng.random()
        creator = creators[n % len(creators)] if org_index == 0 else other_admins[org_index - 1]
        key_rows.append(
            (
                key_id,
                orgs[org_index],
                title,
                title.lower(),
                "editor" if rng.random() < 0.6 else "viewer",
                f"api-key-{key_id}@{EMAIL_DOMAIN}",
                digest,
                creator.member_id,
                creator.name,
                creator.email,
                made,
                expires,
                used,
            )
        )
    w.bulk(
        "principals", ("id", "organization_id", "kind"), ((r[0], r[1], "apiKey") for r in key_rows)
    )
    # Secondary indexes are built once after the load (a sort), not row by row.
    with db.engine.begin() as conn:
        for index in ApiKey.__table__.indexes:
            index.drop(conn)
    w.bulk(
        "api_keys",
        (
            "id",
            "organization_id",
            "title",
            "title_key",
            "role",
            "email",
            "secret_digest",
            "created_by_id",
            "created_by_name",
            "created_by_email",
            "created_at",
            "expiration_date",
            "last_used_at",
        ),
        key_rows,
    )
    with db.engine.begin() as conn:
        for index in ApiKey.__table__.indexes:
            index.create(conn)
    w.analyze()
    return world


# ---------------------------------------------------------------------------- resources


@dataclass
class Holding:
    """A key that solely owns `sole` resources, co-owns some, views some, and resources
    of others that depend on what it owns."""

    key_id: str
    secret: str
    sole: int
    resource_ids: list[str]


def add_key(db: Database, world: World, rng: random.Random, title: str) -> tuple[str, str]:
    w = Writer(db)
    key_id = new_id(rng)
    secret = keys.generate()
    admin = world.admin
    w.bulk("principals", ("id", "organization_id", "kind"), [(key_id, world.org_id, "apiKey")])
    w.bulk(
        "api_keys",
        (
            "id",
            "organization_id",
            "title",
            "title_key",
            "role",
            "email",
            "secret_digest",
            "created_by_id",
            "created_by_name",
            "created_by_email",
            "created_at",
            "expiration_date",
            "last_used_at",
        ),
        [
            (
                key_id,
                world.org_id,
                title,
                title.lower(),
                "editor",
                f"api-key-{key_id}@{EMAIL_DOMAIN}",
                keys.digest(secret),
                admin.member_id,
                admin.name,
                admin.email,
                NOW - timedelta(days=1),
                NOW.date() + timedelta(days=30),
                None,
            )
        ],
    )
    return key_id, secret


def give_resources(db: Database, world: World, key_id: str, sole: int, seed: int) -> Holding:
    """Resources for `key_id`: `sole` solely owned (a quarter each of data sources,
    projects, layers and tables, the layers and tables on the key's own projects and data
    sources), plus `sole // 10` co-owned with an editor, `sole // 10` it may only view, and
    `sole // 10` layers of an editor built on the key's data sources (dependents)."""
    rng = random.Random(seed)
    w = Writer(db)
    editor = next(p for p in world.people if p.role == "editor")
    quarter = max(1, -(-sole // 4))
    made = NOW - timedelta(days=3)
    resources: list[tuple[Any, ...]] = []
    perms: list[tuple[Any, ...]] = []
    org = world.org_id
    ds = [new_id(rng) for _ in range(quarter)]
    pj = [new_id(rng) for _ in range(quarter)]
    for i, r in enumerate(ds):
        resources.append((r, org, "datasources", f"Data source {i}", "", None, None, made))
    for i, r in enumerate(pj):
        resources.append((r, org, "projects", f"Project {i}", "", None, None, made))
    dependents: list[str] = []
    for kind in ("layers", "tables"):
        for i in range(quarter):
            r = new_id(rng)
            resources.append((r, org, kind, f"{kind} {i}", "", pj[i], ds[i], made))
            dependents.append(r)
    owned = ds + pj + dependents
    for i, r in enumerate(owned):
        # Past `sole` (when it is not a multiple of 4) the editor owns the rest.
        perms.append((org, r, key_id if i < sole else editor.member_id, OWNER))
    extra = max(1, sole // 10)
    # Co-owned: an editor owns them too. Viewed: the editor owns, the key views.
    for kind, level in (("co", OWNER), ("view", VIEW)):
        for i in range(extra):
            r = new_id(rng)
            resources.append((r, org, "datasources", f"{kind} source {i}", "", None, None, made))
            perms.append((org, r, editor.member_id, OWNER))
            perms.append((org, r, key_id, level))
    # The editor's layers on the key's data sources: deleted with them if they go.
    for i in range(extra):
        r = new_id(rng)
        resources.append((r, org, "layers", f"editor layer {i}", "", pj[0], ds[i % quarter], made))
        perms.append((org, r, editor.member_id, OWNER))
    w.bulk(
        "resources",
        (
            "id",
            "organization_id",
            "kind",
            "name",
            "description",
            "project_id",
            "data_source_id",
            "created_at",
        ),
        resources,
    )
    w.bulk("permissions", ("organization_id", "resource_id", "principal_id", "level"), perms)
    return Holding(key_id, "", sole, [r[0] for r in resources])


def background_resources(db: Database, world: World, count: int, seed: int = 9) -> None:
    """Resources the members own, so the tables are not empty around the measured ones."""
    rng = random.Random(seed)
    w = Writer(db)
    owners = [p for p in world.people if p.role != "viewer"]
    made = NOW - timedelta(days=30)
    rows = []
    perms = []
    for i in range(count):
        r = new_id(rng)
        rows.append((r, world.org_id, "datasources", f"Shared source {i}", "", None, None, made))
        perms.append((world.org_id, r, owners[i % len(owners)].member_id, OWNER))
    w.bulk(
        "resources",
        (
            "id",
            "organization_id",
            "kind",
            "name",
            "description",
            "project_id",
            "data_source_id",
            "created_at",
        ),
        rows,
    )
    w.bulk("permissions", ("organization_id", "resource_id", "principal_id", "level"), perms)
