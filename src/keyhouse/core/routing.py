"""One worker-thread call per request.

FastAPI runs each sync dependency, the sync endpoint and the validation of its result in a
thread-pool call of its own, and finishes a generator dependency in another: six hand-offs
between the event loop and a worker thread for an authenticated GET. Each hand-off costs
about 45 µs of CPU here, more than verifying the key and reading the resource together
(docs/performance.md, section 2).

So the dependencies that do I/O are declared with `in_worker(fn)`: on the event loop
FastAPI resolves them to a `Deferred` (no I/O), and `WorkerRoute` resolves those, runs the
endpoint and ends the request's transaction in a single thread-pool call. The dependency
functions themselves stay plain sync functions, callable directly (tests, benchmarks).

An endpoint marked `@point_read` skips even that hand-off where the database allows it
(SQLite: `app.state.inline_point_reads`): its unit of work runs on the event loop. That is
for reads of a few rows by unique keys that never wait for a lock (in WAL mode SQLite
readers never do): they take less time than the hand-off itself. Lists, writes and
anything that may wait stay in the worker thread; so does the recording of what must
survive a rollback (a write, which may wait).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from keyhouse.core.db import abandon, run_after_rollback


@dataclass(eq=False, slots=True)
class Deferred:
    """A dependency's call, waiting for the request's worker thread."""

    fn: Callable[..., Any]
    arguments: dict[str, Any]


def in_worker(fn: Callable[..., Any]) -> Callable[..., Awaitable[Deferred]]:
    """`fn` as a dependency called in the endpoint's worker-thread call, once per request.

    FastAPI reads `fn`'s parameters (through `__wrapped__`) and caches the `Deferred` per
    request like any dependency, so every route and dependency asking for it shares one
    call. Only routes of class `WorkerRoute` may use such dependencies.
    """
    if not callable(fn) or inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn):
        raise TypeError(f"{fn!r}: in_worker() takes a plain sync function")

    @functools.wraps(fn)
    async def deferred(**arguments: Any) -> Deferred:
        return Deferred(fn, arguments)

    deferred.__dict__["in_worker"] = True
    return deferred


class _Resolution:
    """The request's deferred dependencies, each called once, and the sessions they use."""

    def __init__(self) -> None:
        self.done: dict[int, Any] = {}
        self.sessions: list[Session] = []

    def value(self, value: Any) -> Any:
        if isinstance(value, Session):
            if not any(s is value for s in self.sessions):
                self.sessions.append(value)
            return value
        if not isinstance(value, Deferred):
            return value
        key = id(value)  # the Deferred is alive for the whole call, so its id is unique
        if key not in self.done:
            arguments = {name: self.value(v) for name, v in value.arguments.items()}
            self.done[key] = value.fn(**arguments)
        return self.done[key]


def point_read(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a GET endpoint whose unit of work (dependencies included) reads a few rows by
    unique keys and never waits for a lock: on SQLite it runs on the event loop; on
    PostgreSQL its session is in autocommit mode (`core.db.Database.session`)."""
    endpoint.__dict__["point_read"] = True
    return endpoint


def _run(
    endpoint: Callable[..., Any],
    arguments: dict[str, Any],
    failed: Callable[[Session], None] = abandon,
) -> Any:
    """The deferred dependencies, the endpoint, then commit (or `failed`: roll back and
    record what must survive the rollback)."""
    resolution = _Resolution()
    try:
        values = {name: resolution.value(v) for name, v in arguments.items()}
        result = endpoint(**values)
        for session in resolution.sessions:
            # Before the response leaves: a client that saw 200 (a deleted key, say)
            # never races this commit with its next request.
            session.commit()
    except BaseException:
        for session in resolution.sessions:
            failed(session)
        raise
    finally:
        for session in resolution.sessions:
            session.close()
    return result


async def _run_inline(endpoint: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """`_run` on the event loop; records that must survive a rollback are written in a
    worker thread (a write may wait for the lock)."""
    rolled_back: list[Session] = []

    def failed(session: Session) -> None:
        session.rollback()  # never waits; the actions it leaves in session.info wait for us
        rolled_back.append(session)

    try:
        return _run(endpoint, arguments, failed)
    except BaseException:
        pending = [s for s in rolled_back if s.info.get("after_rollback")]
        if pending:
            await run_in_threadpool(_record_after_rollback, pending)
        raise


def _record_after_rollback(sessions: list[Session]) -> None:
    for session in sessions:
        try:
            run_after_rollback(session)
        finally:
            session.close()


class WorkerRoute(APIRoute):
    """A route whose sync endpoint, with its deferred dependencies and its transaction's
    end, runs in one thread-pool call (result validation then runs on the event loop)."""

    ends_sessions = True  # what `core.db.get_session` checks

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.iscoroutinefunction(endpoint):
            raise TypeError(f"{endpoint.__name__}: WorkerRoute endpoints are sync functions")
        super().__init__(path, _in_one_call(endpoint), **kwargs)
        # What `core.db.get_session` reads: a point read's session on PostgreSQL is in
        # autocommit mode (no BEGIN/COMMIT round trips).
        self.point_read: bool = getattr(endpoint, "point_read", False)
        if self.point_read and self.methods != {"GET"}:
            raise TypeError(f"{endpoint.__name__}: only GET endpoints can be point reads")


_REQUEST = "keyhouse_routing_request"


def _in_one_call(endpoint: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    if not getattr(endpoint, "point_read", False):

        @functools.wraps(endpoint)
        async def call(**arguments: Any) -> Any:
            return await run_in_threadpool(_run, endpoint, arguments)

        return call

    @functools.wraps(endpoint)
    async def call_point_read(**arguments: Any) -> Any:
        request: Request = arguments.pop(_REQUEST)
        if getattr(request.app.state, "inline_point_reads", False):
            return await _run_inline(endpoint, arguments)
        return await run_in_threadpool(_run, endpoint, arguments)

    # The wrapper also asks FastAPI for the request (to learn the database's kind); the
    # endpoint's own parameters keep their annotations, read from the endpoint's module.
    signature = inspect.signature(endpoint)
    extra = inspect.Parameter(_REQUEST, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
    call_point_read.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    return call_point_read
