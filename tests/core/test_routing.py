"""One worker-thread call per request: deferred dependencies, the endpoint and the end of
the request's transaction run together, in one thread, off the event loop; point reads on
the event loop where the database allows it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from keyhouse.app import create_app
from keyhouse.core.config import Settings
from keyhouse.core.db import Database, SessionDep, after_rollback
from keyhouse.core.errors import Conflict
from keyhouse.core.routing import WorkerRoute, in_worker, point_read


class Probe:
    """What the dependencies and endpoints saw."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.threads: dict[str, int] = {}

    def saw(self, name: str) -> None:
        self.calls.append(name)
        self.threads[name] = threading.get_ident()


# Module level: FastAPI resolves these annotations by name (postponed annotations).
CURRENT = Probe()


async def on_loop() -> int:
    CURRENT.saw("loop")
    return threading.get_ident()


def who(session: SessionDep) -> str:
    CURRENT.saw("who")
    session.execute(text("INSERT INTO probe_notes VALUES ('who')"))
    return "someone"


Who = Annotated[str, Depends(in_worker(who))]


def admin(name: Who, session: SessionDep) -> str:
    CURRENT.saw("admin")
    return name.upper()


Admin = Annotated[str, Depends(in_worker(admin))]


def reader(session: SessionDep) -> int:
    CURRENT.saw("reader")
    return int(session.execute(text("SELECT count(*) FROM probe_notes")).scalar_one())


Reader = Annotated[int, Depends(in_worker(reader))]
OnLoop = Annotated[int, Depends(on_loop)]


@pytest.fixture
def probe() -> Probe:
    CURRENT.__init__()  # type: ignore[misc]
    return CURRENT


@pytest.fixture
def probe_app(db: Database, settings: Settings, probe: Probe) -> Iterator[TestClient]:
    with db.transaction() as session:
        session.execute(text("CREATE TABLE probe_notes (note VARCHAR(50) NOT NULL)"))

    router = APIRouter(route_class=WorkerRoute)

    @router.post("/both")
    def both(name: Who, upper: Admin, session: SessionDep, loop: OnLoop) -> Any:
        probe.saw("endpoint")
        session.execute(text("INSERT INTO probe_notes VALUES ('endpoint')"))
        return {"name": name, "upper": upper, "loop": loop}

    @router.post("/fails")
    def fails(name: Who, session: SessionDep) -> Any:
        session.execute(text("INSERT INTO probe_notes VALUES ('lost')"))
        after_rollback(
            session, lambda s: s.execute(text("INSERT INTO probe_notes VALUES ('recorded')"))
        )
        raise Conflict("refused on purpose", code="probe_refused")

    @router.get("/api/probe/point")
    @point_read
    def point(count: Reader, session: SessionDep, loop: OnLoop) -> Any:
        probe.saw("point")
        driver = session.connection().connection.dbapi_connection
        return {"count": count, "loop": loop, "autocommit": getattr(driver, "autocommit", None)}

    @router.get("/api/probe/point-fails")
    @point_read
    def point_fails(count: Reader, session: SessionDep, loop: OnLoop) -> Any:
        def record(s: Any) -> None:
            probe.saw("recording")
            s.execute(text("INSERT INTO probe_notes VALUES ('recorded')"))

        after_rollback(session, record)
        raise Conflict("refused on purpose", code="probe_refused")

    app = create_app(settings, db)
    app.include_router(router)
    with TestClient(app) as client:
        yield client
    with db.transaction() as session:
        session.execute(text("DROP TABLE probe_notes"))


def _checked_out(db: Database) -> int:
    """Connections in use, in both pools (PostgreSQL point reads have their own)."""
    engines = [db.engine] if db.autocommit_engine is None else [db.engine, db.autocommit_engine]
    return sum(e.pool.checkedout() for e in engines)  # type: ignore[attr-defined]


def _notes(db: Database) -> list[str]:
    with db.transaction(write=False) as session:
        return sorted(session.scalars(text("SELECT note FROM probe_notes")))


def test_deferred_dependencies_and_endpoint_share_one_worker_thread(
    probe_app: TestClient, probe: Probe
) -> None:
    response = probe_app.post("/both")
    assert response.status_code == 200, response.text
    assert response.json()["upper"] == "SOMEONE"
    # `who` is asked for twice (by the endpoint and by `admin`) and called once.
    assert probe.calls.count("who") == 1
    assert probe.calls.index("who") < probe.calls.index("admin") < probe.calls.index("endpoint")
    worker = probe.threads["endpoint"]
    assert probe.threads["who"] == worker and probe.threads["admin"] == worker
    assert worker != response.json()["loop"]  # not the event loop's thread


def test_the_worker_call_commits_before_the_response(probe_app: TestClient, db: Database) -> None:
    assert probe_app.post("/both").status_code == 200
    assert _notes(db) == ["endpoint", "who"]


def test_an_error_rolls_back_and_keeps_what_must_survive_the_rollback(
    probe_app: TestClient, db: Database
) -> None:
    response = probe_app.post("/fails")
    assert response.status_code == 409
    assert response.json()["code"] == "probe_refused"
    assert _notes(db) == ["recorded"]  # 'who' and 'lost' were rolled back


def test_async_endpoints_are_refused() -> None:
    async def endpoint() -> None:
        return None

    with pytest.raises(TypeError, match="sync functions"):
        WorkerRoute("/x", endpoint)


def test_only_plain_sync_functions_can_be_deferred() -> None:
    async def coroutine() -> None:
        return None

    def generator() -> Iterator[int]:
        yield 1

    for fn in (coroutine, generator):
        with pytest.raises(TypeError, match="plain sync function"):
            in_worker(fn)


def test_a_session_outside_a_worker_route_is_refused(settings: Settings, db: Database) -> None:
    app = FastAPI()
    app.state.db = db

    @app.get("/plain")
    def plain(session: SessionDep) -> None:
        return None

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/plain").status_code == 500


def _all_routes(routes: list[Any]) -> Iterator[Any]:
    """Routes, including those of included routers (FastAPI keeps those nested)."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        yield from _all_routes(nested.routes) if nested is not None else (route,)


def _dependency_calls(route: APIRoute) -> Iterator[Any]:
    todo = list(route.dependant.dependencies)
    while todo:
        dependant = todo.pop()
        yield dependant.call
        todo.extend(dependant.dependencies)


def test_every_route_using_a_session_or_a_deferred_dependency_is_a_worker_route(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)
    checked = 0
    for route in _all_routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        calls = list(_dependency_calls(route))
        if any(
            getattr(c, "in_worker", False) or getattr(c, "__name__", "") == "get_session"
            for c in calls
        ):
            assert isinstance(route, WorkerRoute), route.path
            checked += 1
    assert checked >= 30  # every API route but /healthz


def test_the_session_given_to_the_endpoint_is_the_one_dependencies_used(
    probe_app: TestClient, db: Database
) -> None:
    # 'who' (a dependency) and the endpoint wrote in one transaction: both or neither.
    assert probe_app.post("/both").status_code == 200
    assert probe_app.post("/fails").status_code == 409
    assert _notes(db) == ["endpoint", "recorded", "who"]


def test_sessions_are_closed_after_the_call(probe_app: TestClient, db: Database) -> None:
    before = _checked_out(db)
    for _ in range(3):
        probe_app.post("/both")
        probe_app.post("/fails")
    assert db.engine.pool.checkedout() == before  # type: ignore[attr-defined]


def test_point_reads_run_on_the_event_loop_on_sqlite_only(
    probe_app: TestClient, probe: Probe, db: Database
) -> None:
    assert probe_app.app.state.inline_point_reads is db.is_sqlite  # type: ignore[attr-defined]
    response = probe_app.get("/api/probe/point")
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 0
    on_loop = probe.threads["point"] == response.json()["loop"]
    assert on_loop is db.is_sqlite
    if not db.is_sqlite:  # in a worker thread, with no BEGIN/COMMIT round trips
        assert response.json()["autocommit"] is True
    assert probe.threads["reader"] == probe.threads["point"]


@pytest.mark.parametrize("inline", [True, False])
def test_a_point_read_runs_where_the_app_says(
    probe_app: TestClient, probe: Probe, db: Database, inline: bool
) -> None:
    probe_app.app.state.inline_point_reads = inline  # type: ignore[attr-defined]
    before = _checked_out(db)
    response = probe_app.get("/api/probe/point")
    assert response.status_code == 200, response.text
    assert (probe.threads["point"] == response.json()["loop"]) is inline
    assert probe.threads["reader"] == probe.threads["point"]
    assert probe.calls.count("reader") == 1
    assert db.engine.pool.checkedout() == before  # type: ignore[attr-defined]


@pytest.mark.parametrize("inline", [True, False])
def test_a_failed_point_read_records_what_must_survive_in_a_worker_thread(
    probe_app: TestClient, probe: Probe, db: Database, inline: bool
) -> None:
    probe_app.app.state.inline_point_reads = inline  # type: ignore[attr-defined]
    before = _checked_out(db)
    response = probe_app.get("/api/probe/point-fails")
    assert response.status_code == 409
    assert response.json()["code"] == "probe_refused"
    assert _notes(db) == ["recorded"]
    # The record is a write, which may wait for the lock: never on the event loop.
    assert probe.threads["recording"] != probe.threads["loop"]
    assert db.engine.pool.checkedout() == before  # type: ignore[attr-defined]


def test_only_get_endpoints_can_be_point_reads() -> None:
    @point_read
    def endpoint() -> None:
        return None

    with pytest.raises(TypeError, match="only GET"):
        WorkerRoute("/x", endpoint, methods=["POST"])
    assert WorkerRoute("/x", endpoint, methods=["GET"]).methods == {"GET"}


def test_the_resource_read_is_a_point_read_and_its_schema_unchanged(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)
    route = next(
        r
        for r in _all_routes(app.routes)
        if isinstance(r, APIRoute) and r.path.endswith("/{resourceId}") and "GET" in r.methods
    )
    assert route.endpoint.__wrapped__.point_read is True  # type: ignore[attr-defined]
    operation = app.openapi()["paths"][route.path_format]["get"]
    names = sorted(p["name"] for p in operation["parameters"])
    assert names == ["kind", "orgId", "resourceId"]
