"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import version


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def describe(postgres_version: str | None, generator: str) -> list[tuple[str, str]]:
    return [
        ("cores (nproc)", str(cores())),
        ("CPU", cpu_model()),
        ("memory", _memory()),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", postgres_version or "not available (SQLite only)"),
        (
            "SQLAlchemy / FastAPI / uvicorn",
            f"{version('sqlalchemy')} / {version('fastapi')} / {version('uvicorn')}",
        ),
        ("HTTP load generator", generator),
    ]


def _memory() -> str:
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        return f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        return "unknown"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"
