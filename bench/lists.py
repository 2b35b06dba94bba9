"""Goal 3: a page of API keys and its total, at scale.

100,000 keys in one organization (every other organization's keys interleaved in the same
tables); every sortable column in both directions, pages from the first to the last, with
and without a title `contains` filter. Each figure is `api_keys.service.list_keys` end to
end (statements, rows, views) on a held session, as the API calls it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from bench.data import NOW, World
from bench.timing import percentile, repeat
from keyhouse.api_keys import service
from keyhouse.core.db import Database
from keyhouse.core.listing import ListQuery, SortKey, apply, parse_list_query
from keyhouse.models import ApiKey

SORTS = (
    "creationDate",
    "title",
    "id",
    "createdBy",
    "expirationDate",
    "role",
    "status",
    "lastUsedDate",
    "email",
)
FILTERS: dict[str, list[str]] = {
    "no filter": [],
    "title contains 'deploy' (12%)": ["title:contains:deploy"],
    "title contains '-' (every key)": ["title:contains:-"],
}
POSITIONS = ("first", "quarter", "middle", "three quarters", "last")
LIMIT = 50


@dataclass
class Case:
    filter: str
    sort: str
    position: str
    offset: int
    total: int
    ms: float  # median wall time
    cpu_ms: float  # median CPU time of this thread (SQLite's work runs in it; not PG's)


@dataclass
class ListResults:
    keys_in_org: int
    cases: list[Case] = field(default_factory=list)
    old_ms: float = 0.0  # the worst title-filtered case, with the previous statements (apply())
    old_case: Case | None = None
    checked_pages: int = 0
    plans: dict[str, list[str]] = field(default_factory=dict)

    def worst(self, filters: list[str] | None = None) -> Case:
        cases = [c for c in self.cases if filters is None or c.filter in filters]
        return max(cases, key=lambda c: c.ms)

    def median(self, filters: list[str] | None = None, *, cpu: bool = False) -> float:
        values = sorted(
            c.cpu_ms if cpu else c.ms for c in self.cases if filters is None or c.filter in filters
        )
        return values[len(values) // 2]

    def worst_cpu(self, filters: list[str] | None = None) -> Case:
        cases = [c for c in self.cases if filters is None or c.filter in filters]
        return max(cases, key=lambda c: c.cpu_ms)


def _query(sort: str, filters: list[str], offset: int) -> ListQuery:
    fields = service.key_fields(NOW.date())
    return parse_list_query(
        fields, limit=str(LIMIT), offset=str(offset), sort=sort, filters=filters
    )


def _offset(position: str, total: int) -> int:
    last = max(0, (total - 1) // LIMIT * LIMIT)
    fraction = {"first": 0.0, "quarter": 0.25, "middle": 0.5, "three quarters": 0.75, "last": 1.0}
    return min(last, round(fraction[position] * total / LIMIT) * LIMIT)


def _cases() -> Iterator[tuple[str, str]]:
    for name in FILTERS:
        for sort in SORTS:
            for direction in ("", "-"):
                yield name, direction + sort


def measure(db: Database, world: World, *, repeats: int) -> ListResults:
    results = ListResults(keys_in_org=world.big_org_keys)
    with db.session(write=False) as session:
        for name, sort in _cases():
            filters = FILTERS[name]
            total = service.list_keys(session, world.org_id, _query(sort, filters, 0)).total
            for position in POSITIONS:
                offset = _offset(position, total)
                query = _query(sort, filters, offset)
                wall, cpu = _timed(
                    lambda q=query: service.list_keys(session, world.org_id, q), repeats
                )
                results.cases.append(Case(name, sort, position, offset, total, wall, cpu))
        # The worst title-filtered case, the way the list used to be read.
        worst = results.worst([f for f in FILTERS if f.startswith("title")])
        old_query = _query(worst.sort, FILTERS[worst.filter], worst.offset)
        old = repeat(lambda: _old_page(session, world.org_id, old_query), 1)
        results.old_ms = old.median * 1e3
        results.old_case = worst
        results.plans = plans(session, world.org_id)
    return results


def _timed(fn: Any, repeats: int) -> tuple[float, float]:
    """Median wall and thread-CPU milliseconds of `repeats` calls, after one warm-up."""
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.thread_time()
        fn()
        cpus.append(time.thread_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return percentile(walls, 50) * 1e3, percentile(cpus, 50) * 1e3


def _old_page(session: Session, organization_id: str, query: ListQuery) -> tuple[list[Any], int]:
    """The page the way every list used to be read: `apply()`'s statements."""
    page, count = apply(
        select(ApiKey).where(ApiKey.organization_id == organization_id),
        query,
        service.key_fields(NOW.date()),
        tiebreak=ApiKey.id,
        default_sort=(SortKey("creationDate", descending=True),),
    )
    return list(session.scalars(page)), session.scalar(count) or 0


def check_against_apply(db: Database, organization_id: str) -> int:
    """Pages from list_keys equal apply()'s, for every sort, filter and many offsets, on
    a small organization (apply() is slow on big ones). The number of pages compared."""
    compared = 0
    with db.session(write=False) as session:
        for name, sort in _cases():
            filters = FILTERS[name]
            total = service.list_keys(session, organization_id, _query(sort, filters, 0)).total
            for offset in sorted(
                {
                    0,
                    1,
                    total // 3,
                    max(0, total // 2 - 3),
                    total // 2,
                    max(0, total - 7),
                    max(0, total - 3),
                    total,
                    total + 5,
                }
            ):
                query = parse_list_query(
                    service.key_fields(NOW.date()),
                    limit="7",
                    offset=str(offset),
                    sort=sort,
                    filters=filters,
                )
                new = service.list_keys(session, organization_id, query)
                old_rows, old_total = _old_page(session, organization_id, query)
                if [v.id for v in new.items] != [k.id for k in old_rows] or new.total != old_total:
                    raise AssertionError(f"page differs: {name} sort={sort} offset={offset}")
                compared += 1
    return compared


def plans(session: Session, organization_id: str) -> dict[str, list[str]]:
    """EXPLAIN of the statements of three representative pages (for docs/performance.md)."""
    engine = session.get_bind()
    assert not isinstance(engine, type(None))
    captured: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        if not statement.startswith(("BEGIN", "EXPLAIN")):
            captured.append((statement, params))

    out: dict[str, list[str]] = {}
    samples = {
        "title contains 'deploy', sort -creationDate, middle page": (
            "-creationDate",
            ["title:contains:deploy"],
        ),
        "title contains 'deploy', sort status, middle page": ("status", ["title:contains:deploy"]),
        "title contains 'deploy', sort lastUsedDate, middle page": (
            "lastUsedDate",
            ["title:contains:deploy"],
        ),
    }
    sqlite = engine.dialect.name == "sqlite"
    for label, (sort, filters) in samples.items():
        total = service.list_keys(session, organization_id, _query(sort, filters, 0)).total
        captured.clear()
        event.listen(engine, "before_cursor_execute", grab)
        try:
            service.list_keys(session, organization_id, _query(sort, filters, total // 2))
        finally:
            event.remove(engine, "before_cursor_execute", grab)
        lines: list[str] = []
        for statement, params in captured:
            lines.append("-- " + " ".join(statement.split()))
            if statement.startswith(("MOVE", "FETCH", "CLOSE")):
                continue
            query = statement.split(" CURSOR FOR ", 1)[-1]  # DECLARE name ... CURSOR FOR query
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
            result = session.connection().exec_driver_sql(prefix + query, params)
            lines.extend(("   " + str(r[3])) if sqlite else ("   " + str(r[0])) for r in result)
        out[label] = lines
    return out
