"""The one source of "now", so tests can stand at an exact instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def now() -> datetime:
    return _now()


def today() -> date:
    return _now().date()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the system clock."""
    global _now
    _now = fn or _system_now
