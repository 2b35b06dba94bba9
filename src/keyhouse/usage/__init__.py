"""API key usage: counted in memory per worker, flushed to `api_key_usage` by addition.

`counter(app)` is the app's counter (created on first use); `flusher(app)` (or
`start(app)` / `stop(app)`) runs its flusher thread for the app's lifetime: the app's
lifespan starts and stops it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from keyhouse.usage.counter import FLUSH_INTERVAL_SECONDS, Flusher, UsageCounter

__all__ = [
    "FLUSH_INTERVAL_SECONDS",
    "Flusher",
    "UsageCounter",
    "counter",
    "flush",
    "flusher",
    "start",
    "stop",
]

_CREATE = threading.Lock()
logger = logging.getLogger(__name__)


def counter(app: Any) -> UsageCounter:
    """The usage counter of `app` (a FastAPI/Starlette app)."""
    state = app.state
    found: UsageCounter | None = getattr(state, "usage_counter", None)
    if found is None:
        with _CREATE:
            found = getattr(state, "usage_counter", None)
            if found is None:
                found = UsageCounter()
                state.usage_counter = found
    return found


def flush(app: Any, *, quiet: bool = False) -> int:
    """Write this worker's pending counts now (before reading usage). `quiet`: a failure
    is logged, not raised (the counts stay pending)."""
    try:
        return counter(app).flush(app.state.db)
    except Exception:
        if not quiet:
            raise
        logger.exception("could not flush API key usage counts (kept for the next flush)")
        return 0


def flusher(app: Any, interval: float = FLUSH_INTERVAL_SECONDS) -> Flusher:
    """`app`'s flusher: `start()` flushes its counts every `interval` seconds in a daemon
    thread, `stop()` ends the thread and flushes what is left (the app's lifespan)."""
    found: Flusher | None = getattr(app.state, "usage_flusher", None)
    if found is None:
        found = Flusher(counter(app), app.state.db, interval)
        app.state.usage_flusher = found
    return found


def start(app: Any) -> None:
    flusher(app).start()


def stop(app: Any) -> None:
    flusher(app).stop()
