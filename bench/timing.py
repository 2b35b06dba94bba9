"""Small timing helpers: per-call samples, medians, percentiles."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Samples:
    """Per-call durations in seconds."""

    values: list[float]

    @property
    def median(self) -> float:
        return percentile(self.values, 50)

    @property
    def p99(self) -> float:
        return percentile(self.values, 99)

    @property
    def max(self) -> float:
        return max(self.values)


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def per_call(fn: Callable[[Any], Any], args: Sequence[Any], calls: int, warmup: int) -> Samples:
    """Time `fn(arg)` `calls` times, cycling through `args`, after `warmup` untimed calls."""
    n = len(args)
    for i in range(warmup):
        fn(args[i % n])
    clock = time.perf_counter_ns
    out = []
    for i in range(calls):
        arg = args[i % n]
        started = clock()
        fn(arg)
        out.append((clock() - started) / 1e9)
    return Samples(out)


def repeat(fn: Callable[[], Any], times: int, warmup: int = 1) -> Samples:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return Samples(out)
