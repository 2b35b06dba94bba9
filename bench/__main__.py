"""`python -m bench`: every performance goal of issue 5, measured side by side with its anchor.

Runs on SQLite always, and on PostgreSQL when KEYHOUSE_TEST_POSTGRES_URL (or
KEYHOUSE_BENCH_POSTGRES_URL) names a server: `bash scripts/with-postgres.sh .venv/bin/python
-m bench` starts a throwaway one. Prints one table; `--results PATH` also writes it, with the
machine, as Markdown (bench/RESULTS.md). docs/performance.md explains the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bench import deletion, http, lastused, lists, verify
from bench.data import (
    NOW,
    World,
    Writer,
    add_key,
    background_resources,
    drop_pg_schema,
    fresh_database,
    give_resources,
    load_world,
    pg_url,
)
from bench.machine import describe, load_average
from keyhouse.core import clock
from keyhouse.core.db import Database

GOAL_VERIFY_US = 25.0
GOAL_DRF_RATIO = 10.0
GOAL_HTTP_RATIO = 1.5
GOAL_LIST_MS = 15.0
GOAL_DELETE_MS = 1000.0
TITLE_FILTERS = [f for f in lists.FILTERS if f.startswith("title")]
SECTIONS = ("verify", "lastused", "lists", "deletion", "http")  # --only picks among them


@dataclass
class Sizes:
    sqlite_keys: int
    pg_keys: int
    big_org_keys: int
    other_orgs: int
    verify_calls: int
    drf_keys: int
    list_repeats: int
    delete_sizes: tuple[int, ...]
    delete_repeats: int
    verifications: int
    http_seconds: float
    http_connections: int
    background: int


FULL = Sizes(
    1_000_000, 300_000, 100_000, 900, 20_000, 10_000, 5, (10, 10_000), 3, 10_000, 4.0, 16, 20_000
)
QUICK = Sizes(
    120_000, 120_000, 100_000, 20, 5_000, 2_000, 1, (10, 10_000), 1, 2_000, 2.0, 16, 2_000
)


class Table:
    HEAD = ("#", "measure", "engine", "figure", "anchor (same run)", "ratio", "goal", "met")

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def add(
        self,
        goal: str,
        measure: str,
        engine: str,
        figure: str,
        anchor: str,
        ratio: str,
        target: str,
        met: bool | None,
    ) -> None:
        mark = "" if met is None else ("yes" if met else "**no**")
        self.rows.append((goal, measure, engine, figure, anchor, ratio, target, mark))

    def markdown(self) -> str:
        lines = ["| " + " | ".join(self.HEAD) + " |", "|" + "---|" * len(self.HEAD)]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(lines)


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs"


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def postgres_base_url() -> str | None:
    return os.environ.get("KEYHOUSE_BENCH_POSTGRES_URL") or os.environ.get(
        "KEYHOUSE_TEST_POSTGRES_URL"
    )


def postgres_version(url: str) -> str:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        db.dispose()


def run_lists(
    label: str, db: Database, world: World, sizes: Sizes, table: Table, workdir: Path, engine: str
) -> None:
    """Goal 3's rows. The goal row is the cold worst: any page, with nothing remembered
    (what a user meets on the first view of a filter or sort, and on any page right after
    the organization's keys changed); warm is every other view."""
    log(f"{label}: lists ({world.big_org_keys:,} keys in one organization)")
    lr = lists.measure(db, world, repeats=sizes.list_repeats)
    who = "this thread + the PostgreSQL server process" if lr.server_cpu else "this thread"
    if engine == "postgresql" and not lr.server_cpu:
        who += " (the server's is not visible from here)"

    def where(case: lists.Case) -> str:
        return f"{case.filter}, sort={case.sort}, {case.position} page"

    def both(filters: list[str], *, cold: bool, positions: tuple[str, ...] | None = None) -> str:
        worst = lr.worst(filters, cold=cold, positions=positions)
        median = lr.median(filters, cold=cold, positions=positions)
        return f"{ms(lists.value(worst, cold=cold))} / {ms(median)}"

    cold = lr.worst(TITLE_FILTERS, cold=True)
    table.add(
        "3",
        "key list page of 50 + total, title filter, COLD (nothing remembered: first view of "
        "a filter or sort, or any page right after a key changed): worst of 18 sorts × 5 "
        f"pages ({where(cold)})",
        f"{label}, {lr.keys_in_org:,} keys in the org",
        ms(cold.cold.ms),
        f"the same page with the previous statements (apply()): {ms(lr.old_ms)}",
        f"{lr.old_ms / cold.cold.ms:.0f}× faster",
        f"≤ {GOAL_LIST_MS:.0f} ms",
        cold.cold.ms <= GOAL_LIST_MS,
    )
    warm = lr.worst(TITLE_FILTERS)
    table.add(
        "3",
        "  the same, WARM (the list's sizes remembered for the current keys_version: every "
        f"further page and sort of it): worst ({where(warm)})",
        label,
        ms(warm.warm.ms),
        f"cold, same page: {ms(warm.cold.ms)}",
        f"{warm.cold.ms / warm.warm.ms:.1f}× faster",
        f"≤ {GOAL_LIST_MS:.0f} ms",
        warm.warm.ms <= GOAL_LIST_MS,
    )
    table.add(
        "3",
        "  title filter, worst / median: cold first page (a filter or sort just applied); "
        "cold, any page; warm, any page",
        label,
        f"{both(TITLE_FILTERS, cold=True, positions=('first',))}; "
        f"{both(TITLE_FILTERS, cold=True)}; {both(TITLE_FILTERS, cold=False)}",
        "",
        "",
        f"≤ {GOAL_LIST_MS:.0f} ms",
        None,
    )
    cold_cpu, warm_cpu = (
        lr.worst(TITLE_FILTERS, cold=True, cpu=True),
        lr.worst(TITLE_FILTERS, cpu=True),
    )
    table.add(
        "3",
        f"  the same in CPU time ({who}; less sensitive to other processes): cold worst "
        f"({where(cold_cpu)}) / median; warm worst / median",
        label,
        f"{ms(cold_cpu.cold.cpu_ms)} / {ms(lr.median(TITLE_FILTERS, cold=True, cpu=True))}; "
        f"{ms(warm_cpu.warm.cpu_ms)} / {ms(lr.median(TITLE_FILTERS, cpu=True))}",
        "",
        "",
        f"≤ {GOAL_LIST_MS:.0f} ms",
        cold_cpu.cold.cpu_ms <= GOAL_LIST_MS,
    )
    table.add(
        "3",
        "key list, no filter, worst / median: cold; warm",
        label,
        f"{both(['no filter'], cold=True)}; {both(['no filter'], cold=False)}",
        "",
        "",
        f"≤ {GOAL_LIST_MS:.0f} ms",
        lr.worst(["no filter"], cold=True).cold.ms <= GOAL_LIST_MS,
    )
    checked = lists.check_against_apply(db, world.other_org_id)
    table.add(
        "3",
        "pages identical to apply()'s (every sort, filter, many offsets, small org; with "
        "remembered sizes and counted afresh; and warm = cold on every measured page)",
        label,
        f"{checked} / {checked}",
        "",
        "",
        "all",
        True,
    )
    plans_path = workdir / f"plans-{engine}.txt"
    plans_path.write_text(
        "\n\n".join(f"## {k}\n" + "\n".join(v) for k, v in lr.plans.items()) + "\n"
    )
    log(f"{label}: query plans written to {plans_path}")


def run_engine(
    engine: str,
    db: Database,
    world: World,
    sizes: Sizes,
    table: Table,
    workdir: Path,
    http_runs: dict[str, list[http.HttpRun]],
    sections: frozenset[str] = frozenset(SECTIONS),
) -> None:
    label = "SQLite" if engine == "sqlite" else "PostgreSQL"
    n_keys = f"{world.key_count:,} keys"

    # 1. Verification in-process.
    if "verify" in sections:
        log(f"{label}: verification ({n_keys})")
        v = verify.measure(
            db,
            world,
            calls=sizes.verify_calls,
            drf_keys=sizes.drf_keys if engine == "sqlite" else 0,
            workdir=workdir,
        )
        held = v.held_connection
        if v.drf is not None:
            speedup = v.drf.median / held.median
            table.add(
                "1",
                f"verify(), warm, held connection, median (p99 {us(held.p99)})",
                f"{label}, {n_keys}",
                us(held.median),
                f"djangorestframework-api-key is_valid, {v.drf_keys:,} keys: {us(v.drf.median)}",
                f"{speedup:.1f}× faster",
                f"≤ {GOAL_VERIFY_US:.0f} µs and ≥ {GOAL_DRF_RATIO:.0f}×",
                held.median * 1e6 <= GOAL_VERIFY_US and speedup >= GOAL_DRF_RATIO,
            )
        else:
            table.add(
                "1",
                f"verify(), warm, held connection, median (p99 {us(held.p99)})",
                f"{label}, {n_keys}",
                us(held.median),
                "",
                "",
                "(SQLite goal)",
                None,
            )
        if v.raw_driver is not None:
            driver = "sqlite3" if engine == "sqlite" else "psycopg"
            table.add(
                "1",
                "verify(), held connection, vs the bare driver doing the same steps",
                label,
                us(held.median),
                f"{driver} on a held connection: {us(v.raw_driver.median)}",
                f"{held.median / v.raw_driver.median:.2f}×",
                "",
                None,
            )
        table.add(
            "1",
            "verify(), held connection, vs SQLAlchemy Core Connection.execute of the "
            "same SELECT (the previous implementation)",
            label,
            us(held.median),
            us(v.core_execute.median),
            f"{v.core_execute.median / held.median:.1f}× faster",
            "",
            None,
        )
        request = v.request_session
        drf_note = f"is_valid: {us(v.drf.median)}" if v.drf else ""
        table.add(
            "1",
            "verify() in a new Session per call, with checkout, BEGIN and COMMIT "
            "(what a request pays)",
            label,
            us(request.median),
            drf_note,
            f"{v.drf.median / request.median:.1f}× faster" if v.drf else "",
            "",
            None,
        )

    # 5. Last-used bookkeeping.
    if "lastused" in sections:
        log(f"{label}: last-used bookkeeping")
        lu = lastused.measure(db, world, verifications=sizes.verifications)
        minutes = lu.simulated_seconds / 60
        table.add(
            "5",
            f"UPDATEs of last_used_at for {lu.verifications:,} verifications of one key "
            f"over {minutes:.0f} simulated minutes",
            label,
            f"{lu.updates} UPDATEs, {lu.rows_written} rows",
            f"{minutes:.0f} minutes",
            f"{lu.updates / max(minutes, 1e-9):.1f} a minute",
            "≤ 1 a minute",
            lu.updates <= int(minutes) + 1,
        )
        table.add(
            "5",
            "a verification while another transaction holds the lock the last-used "
            "write needs: median (max)",
            label,
            f"{ms(lu.blocked.median * 1e3)} ({ms(lu.blocked.max * 1e3)})",
            f"nothing held: {ms(lu.free.median * 1e3)} ({ms(lu.free.max * 1e3)})",
            f"{lu.blocked.median / lu.free.median:.2f}×",
            "no waiting",
            lu.blocked.max < 1.0,
        )

    # 3. Lists at scale.
    if "lists" in sections:
        run_lists(label, db, world, sizes, table, workdir, engine)

    # 4. Deletion at scale.
    if "deletion" in sections:
        log(f"{label}: deletion")
        background_resources(db, world, sizes.background)
        Writer(db).analyze("resources", "permissions")  # statistics as a database in use has
        results = deletion.measure(
            db, world, sizes=sizes.delete_sizes, repeats=sizes.delete_repeats
        )
        by = {(r.resources, r.mode): r for r in results}
        small, big = min(sizes.delete_sizes), max(sizes.delete_sizes)
        for mode, words in (
            ("transfer", "transferred to a member"),
            ("delete", "deleted with their dependents"),
        ):
            s, b = by[(small, mode)], by[(big, mode)]
            table.add(
                "4",
                f"delete a key solely owning {big:,} resources, {words}: time (commit "
                f"included), SQL statements",
                label,
                f"{ms(b.median_ms)}, {b.statements} statements",
                f"{small} resources: {ms(s.median_ms)}, {s.statements} statements",
                f"time {b.median_ms / s.median_ms:.0f}×, "
                f"statements {b.statements / s.statements:.0f}×",
                f"≤ {GOAL_DELETE_MS:.0f} ms, same statements",
                b.median_ms <= GOAL_DELETE_MS and b.statements == s.statements,
            )

    # 2 and 6. Over HTTP.
    if "http" in sections:
        log(f"{label}: HTTP")
        rng = random.Random(17)
        key_id, secret = add_key(db, world, rng, f"http probe {time.time_ns()}")
        holding = give_resources(db, world, key_id, 4, seed=99)
        targets = http.endpoints(world.org_id, world.other_org_id, holding.resource_ids[0], secret)
        runs = http.measure(
            db.url,
            targets,
            workers=(1, 2),
            seconds=sizes.http_seconds,
            connections=sizes.http_connections,
            workdir=workdir,
        )
        http_runs[label] = runs
        for run in runs:
            loads = run.loads
            base = loads["healthz"]
            auth = loads["GET data source with key"]
            ratio = auth.cpu_us_per_request / base.cpu_us_per_request
            table.add(
                "2",
                f"server CPU per request: authenticated GET of a data source vs "
                f"/healthz ({run.workers} worker{'s' if run.workers > 1 else ''})",
                label,
                f"{auth.cpu_us_per_request:.0f} µs",
                f"/healthz: {base.cpu_us_per_request:.0f} µs",
                f"{ratio:.2f}×",
                f"≤ {GOAL_HTTP_RATIO}×",
                ratio <= GOAL_HTTP_RATIO,
            )
            for name in ("no key (401)", "key verified, other org (404)"):
                part = loads[name]
                table.add(
                    "2",
                    f"  where it goes: {name}, CPU per request ({run.workers}w)",
                    label,
                    f"{part.cpu_us_per_request:.0f} µs",
                    f"/healthz: {base.cpu_us_per_request:.0f} µs",
                    f"{part.cpu_us_per_request / base.cpu_us_per_request:.2f}×",
                    "",
                    None,
                )
            table.add(
                "2",
                f"requests/s, p50 / p99 at {sizes.http_connections} connections: "
                f"authenticated GET ({run.workers}w)",
                label,
                f"{auth.rps:,.0f}/s, {auth.p50_ms:.1f} / {auth.p99_ms:.1f} ms",
                f"/healthz: {base.rps:,.0f}/s, {base.p50_ms:.1f} / {base.p99_ms:.1f} ms",
                f"{auth.rps / base.rps:.2f}× the rate",
                "",
                None,
            )
        one, two = (
            runs[0].loads["GET data source with key"],
            runs[-1].loads["GET data source with key"],
        )
        table.add(
            "6",
            "scale-out: authenticated GETs/s with 2 workers vs 1 (2 cores, load "
            "generator on the same cores)",
            label,
            f"{two.rps:,.0f}/s",
            f"1 worker: {one.rps:,.0f}/s",
            f"{two.rps / one.rps:.2f}×",
            "",
            None,
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--results", type=Path, help="also write the table as Markdown here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help="comma-separated parts to run: " + ", ".join(SECTIONS) + " (default: all)",
    )
    args = parser.parse_args()
    sections = frozenset(part.strip() for part in args.only.split(",") if part.strip())
    if not sections or not sections <= set(SECTIONS):
        parser.error("--only takes some of: " + ", ".join(SECTIONS))
    sizes = QUICK if args.quick else FULL
    started = time.monotonic()
    load_before = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="keyhouse-bench-"))
    table = Table()
    clock.set_clock(lambda: NOW)
    pg_base = None if args.sqlite_only else postgres_base_url()
    pg_version = postgres_version(pg_base) if pg_base else None
    http_runs: dict[str, list[http.HttpRun]] = {}
    try:
        log(f"SQLite: loading {sizes.sqlite_keys:,} keys ({sizes.big_org_keys:,} in one org)")
        sqlite_db = fresh_database(f"sqlite:///{workdir / 'bench.db'}")
        world = load_world(
            sqlite_db,
            total_keys=sizes.sqlite_keys,
            big_org_keys=sizes.big_org_keys,
            other_orgs=sizes.other_orgs,
        )
        run_engine("sqlite", sqlite_db, world, sizes, table, workdir, http_runs, sections)
        sqlite_db.dispose()
        if pg_base:
            url = pg_url(pg_base, "keyhouse_bench")
            log(f"PostgreSQL: loading {sizes.pg_keys:,} keys ({sizes.big_org_keys:,} in one org)")
            pg_db = fresh_database(url)
            try:
                pg_world = load_world(
                    pg_db,
                    total_keys=sizes.pg_keys,
                    big_org_keys=sizes.big_org_keys,
                    other_orgs=max(1, sizes.other_orgs // 4),
                )
                run_engine(
                    "postgresql", pg_db, pg_world, sizes, table, workdir, http_runs, sections
                )
            finally:
                drop_pg_schema(pg_db)
                pg_db.dispose()
        else:
            log("PostgreSQL: not available (run under scripts/with-postgres.sh to include it)")
    finally:
        if args.keep:
            log(f"work folder kept: {workdir}")
        else:
            plans = {p.name: p.read_text() for p in workdir.glob("plans-*.txt")}
            shutil.rmtree(workdir, ignore_errors=True)
            for name, body in plans.items():
                print(f"\n<!-- {name} -->\n{body}", file=sys.stderr)
    machine = describe(pg_version, http.generator_name())
    elapsed = time.monotonic() - started
    header = [f"- {k}: {v}" for k, v in machine]
    header.append(f"- load average (1/5/15 min) at start: {load_before}; at end: {load_average()}")
    header.append(f"- run time: {elapsed / 60:.1f} min{' (--quick)' if args.quick else ''}")
    text_out = "\n".join(header) + "\n\n" + table.markdown() + "\n"
    print(text_out)
    if args.results:
        args.results.write_text(
            "# Benchmark results\n\n"
            "Produced by `bash scripts/with-postgres.sh .venv/bin/python -m bench --results "
            "bench/RESULTS.md` (see docs/performance.md for what each figure means).\n\n" + text_out
        )


if __name__ == "__main__":
    main()
