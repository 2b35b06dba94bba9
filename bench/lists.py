"""Goal 3: a page of API keys and its total, at scale.

100,000 keys in one organization (every other organization's keys interleaved in the same
tables); every sortable column in both directions, pages from the first to the last, with
and without a title `contains` filter. Each figure is `api_keys.service.list_keys` end to
end (statements, rows, views) on a held session, as the API calls it, measured twice:

- **warm**: the run sizes (the total, the status segments) already remembered for the
  organization's current `keys_version`: what every page of a list costs after its first
  view, until the organization's keys change;
- **cold**: nothing remembered (a new, empty `SizeCache` per call): the first view of a
  filter or sort, and the first view after any change to the organization's keys. The
  database's own pages are in memory either way (each figure follows a warm-up call).

Besides wall time: the CPU time of the calling thread (SQLite works in it) and, on a
PostgreSQL server on this machine, that thread's plus the server process's
(`/proc/<pid>/schedstat`): figures that other processes on a shared machine inflate less.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from bench.data import NOW, World
from bench.timing import percentile, repeat
from keyhouse.api_keys import service
from keyhouse.core.db import Database
from keyhouse.core.listing import ListQuery, SizeCache, SortKey, apply, parse_list_query
from keyhouse.core.listing import Page as ListPage
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
class Timing:
    ms: float  # median wall time
    cpu_ms: float  # median CPU time: this thread's, plus the PostgreSQL server process's


@dataclass
class Case:
    filter: str
    sort: str
    position: str
    offset: int
    total: int
    warm: Timing
    cold: Timing


@dataclass
class ListResults:
    keys_in_org: int
    server_cpu: bool = False  # whether cpu_ms includes the database server's process
    cases: list[Case] = field(default_factory=list)
    old_ms: float = 0.0  # the worst cold title-filtered case, with apply()'s statements
    old_case: Case | None = None
    plans: dict[str, list[str]] = field(default_factory=dict)

    def _pick(self, filters: list[str] | None, positions: tuple[str, ...] | None) -> list[Case]:
        return [
            c
            for c in self.cases
            if (filters is None or c.filter in filters)
            and (positions is None or c.position in positions)
        ]

    def worst(
        self,
        filters: list[str] | None = None,
        *,
        cold: bool = False,
        cpu: bool = False,
        positions: tuple[str, ...] | None = None,
    ) -> Case:
        return max(self._pick(filters, positions), key=lambda c: _value(c, cold, cpu))

    def median(
        self,
        filters: list[str] | None = None,
        *,
        cold: bool = False,
        cpu: bool = False,
        positions: tuple[str, ...] | None = None,
    ) -> float:
        values = sorted(_value(c, cold, cpu) for c in self._pick(filters, positions))
        return values[len(values) // 2]


def _value(case: Case, cold: bool, cpu: bool) -> float:
    timing = case.cold if cold else case.warm
    return timing.cpu_ms if cpu else timing.ms


def value(case: Case, *, cold: bool = False, cpu: bool = False) -> float:
    return _value(case, cold, cpu)


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


class _ServerClock:
    """CPU time of the PostgreSQL server process behind a session's connection, when it
    runs on this machine (/proc/<pid>/schedstat, nanoseconds); zero otherwise."""

    def __init__(self, session: Session) -> None:
        self.path = ""
        if session.get_bind().dialect.name == "postgresql":
            pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            path = f"/proc/{pid}/schedstat"
            if os.path.exists(path):
                self.path = path

    def __call__(self) -> float:
        if not self.path:
            return 0.0
        with open(self.path) as f:
            return int(f.read().split()[0]) / 1e9


def measure(db: Database, world: World, *, repeats: int) -> ListResults:
    results = ListResults(keys_in_org=world.big_org_keys)
    warm_sizes = SizeCache()
    with db.session(write=False) as session:
        server = _ServerClock(session)
        results.server_cpu = bool(server.path)
        for name, sort in _cases():
            filters = FILTERS[name]
            total = service.list_keys(
                session, world.org_id, _query(sort, filters, 0), sizes=warm_sizes
            ).total
            for position in POSITIONS:
                offset = _offset(position, total)
                query = _query(sort, filters, offset)

                def warm(q: ListQuery = query) -> ListPage:
                    return service.list_keys(session, world.org_id, q, sizes=warm_sizes)

                def cold(q: ListQuery = query) -> ListPage:
                    return service.list_keys(session, world.org_id, q, sizes=SizeCache())

                warm_timing, warm_page = _timed(warm, repeats, server)
                cold_timing, cold_page = _timed(cold, repeats, server)
                if _ids(warm_page) != _ids(cold_page):
                    raise AssertionError(f"warm and cold pages differ: {name} {sort} {offset}")
                results.cases.append(
                    Case(name, sort, position, offset, total, warm_timing, cold_timing)
                )
        # The worst title-filtered cold case, the way the list used to be read.
        worst = results.worst([f for f in FILTERS if f.startswith("title")], cold=True)
        old_query = _query(worst.sort, FILTERS[worst.filter], worst.offset)
        old = repeat(lambda: _old_page(session, world.org_id, old_query), 1)
        results.old_ms = old.median * 1e3
        results.old_case = worst
        results.plans = plans(session, world.org_id)
    return results


def _ids(page: ListPage) -> tuple[list[str], int]:
    return [item.id for item in page.items], page.total


def _timed(
    fn: Callable[[], ListPage], repeats: int, server: Callable[[], float]
) -> tuple[Timing, ListPage]:
    """Median wall and CPU milliseconds of `repeats` calls, after one warm-up; the page."""
    page = fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu, served = time.perf_counter(), time.thread_time(), server()
        fn()
        cpus.append(time.thread_time() - cpu + server() - served)
        walls.append(time.perf_counter() - wall)
    return Timing(percentile(walls, 50) * 1e3, percentile(cpus, 50) * 1e3), page


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
    a small organization (apply() is slow on big ones): once with the sizes remembered
    from the list's first page (warm) and once counted afresh (cold). The pages compared."""
    compared = 0
    warm_sizes = SizeCache()
    with db.session(write=False) as session:
        for name, sort in _cases():
            filters = FILTERS[name]
            total = service.list_keys(
                session, organization_id, _query(sort, filters, 0), sizes=warm_sizes
            ).total
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
                old_rows, old_total = _old_page(session, organization_id, query)
                expected = ([k.id for k in old_rows], old_total)
                for sizes in (warm_sizes, SizeCache()):
                    new = service.list_keys(session, organization_id, query, sizes=sizes)
                    if _ids(new) != expected:
                        raise AssertionError(f"page differs: {name} sort={sort} offset={offset}")
                    compared += 1
    return compared


def plans(session: Session, organization_id: str) -> dict[str, list[str]]:
    """EXPLAIN of the statements of representative pages, cold and warm (for
    docs/performance.md)."""
    engine = session.get_bind()
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
        total = service.list_keys(
            session, organization_id, _query(sort, filters, 0), sizes=None
        ).total
        for state in ("cold", "warm"):
            query = _query(sort, filters, total // 2)
            sizes = SizeCache()
            if state == "warm":
                service.list_keys(session, organization_id, query, sizes=sizes)
            captured.clear()
            event.listen(engine, "before_cursor_execute", grab)
            try:
                service.list_keys(session, organization_id, query, sizes=sizes)
            finally:
                event.remove(engine, "before_cursor_execute", grab)
            lines: list[str] = []
            for statement, params in captured:
                lines.append("-- " + " ".join(statement.split()))
                if statement.startswith(("MOVE", "FETCH", "CLOSE", "SET")):
                    continue
                query_text = statement.split(" CURSOR FOR ", 1)[-1]  # DECLARE … CURSOR FOR q
                prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
                result = session.connection().exec_driver_sql(prefix + query_text, params)
                lines.extend(("   " + str(r[3])) if sqlite else ("   " + str(r[0])) for r in result)
            out[f"{label} ({state})"] = lines
    return out
