"""Verification over HTTP: `keyhouse serve --workers N`, load from wrk (or a Python client).

Server CPU per request is read from /proc/<pid>/stat (utime + stime) of every process of
the server (the supervisor and its workers) before and after each load run. Traffic goes
to 127.0.0.1 only, bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICK


class Server:
    """`keyhouse serve` in a subprocess, on a free loopback port."""

    def __init__(self, database_url: str, workers: int, workdir: Path) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = open(workdir / f"serve-{workers}w-{self.port}.log", "wb")  # noqa: SIM115
        env = {
            **os.environ,
            "KEYHOUSE_DATABASE_URL": database_url,
            "KEYHOUSE_DATA_DIR": str(workdir),
            "KEYHOUSE_SECRET_KEY": "bench-secret",
        }
        keyhouse = Path(sys.executable).with_name("keyhouse")
        self.proc = subprocess.Popen(
            [
                str(keyhouse),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}; see {self.log.name}"
                )
            try:
                status, _ = get(self.port, "/healthz")
                if status == 200 and len(self.pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def pids(self) -> list[int]:
        return _descendants(self.proc.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One GET on a fresh connection (stdlib only)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Load:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors
    server_cpu: float  # seconds, all server processes

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float:
        return self.server_cpu / max(self.requests, 1) * 1e6


def generator_name() -> str:
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
        return (out.split("[")[0].strip() or "wrk") + ", 1 thread"
    return "bench/http.py asyncio client (wrk not installed)"


def load(
    server: Server, path: str, headers: dict[str, str], seconds: float, connections: int
) -> Load:
    before = server.cpu()
    if shutil.which("wrk"):
        result = _wrk(server.port, path, headers, seconds, connections)
    else:
        result = asyncio.run(_python_load(server.port, path, headers, seconds, connections))
    result.server_cpu = server.cpu() - before
    return result


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    return float(m.group(1)) * _UNITS[m.group(2)]


def _wrk(port: int, path: str, headers: dict[str, str], seconds: float, conns: int) -> Load:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 30)
    text = out.stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(s|ms|m)", text)
    assert done, text
    secs = float(done.group(2)) * {"s": 1.0, "ms": 1e-3, "m": 60.0}[done.group(3)]
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    assert p50 and p99, text
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors += int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    ):
        errors += sum(int(g) for g in m.groups())
    return Load(int(done.group(1)), secs, _ms(p50.group(1)), _ms(p99.group(1)), errors, 0.0)


async def _python_load(
    port: int, path: str, headers: dict[str, str], seconds: float, conns: int
) -> Load:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        + "\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 2"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conns)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return Load(
        n, elapsed, latencies[n // 2] * 1e3, latencies[min(n - 1, int(n * 0.99))] * 1e3, errors, 0.0
    )


@dataclass
class Endpoint:
    name: str
    path: str
    headers: dict[str, str]
    expect: int


@dataclass
class HttpRun:
    workers: int
    loads: dict[str, Load]


def endpoints(org_id: str, other_org_id: str, resource_id: str, secret: str) -> list[Endpoint]:
    key = {"Api-Key": secret}
    resource = f"/api/v1/organizations/{org_id}/datasources/{resource_id}"
    return [
        Endpoint("healthz", "/healthz", {}, 200),
        Endpoint("no key (401)", resource, {}, 401),
        Endpoint(
            "key verified, other org (404)",
            f"/api/v1/organizations/{other_org_id}/datasources/{resource_id}",
            key,
            404,
        ),
        Endpoint("GET data source with key", resource, key, 200),
    ]


def measure(
    database_url: str,
    targets: list[Endpoint],
    *,
    workers: tuple[int, ...],
    seconds: float,
    connections: int,
    workdir: Path,
) -> list[HttpRun]:
    runs = []
    for count in workers:
        with Server(database_url, count, workdir) as server:
            for target in targets:
                status, body = get(server.port, target.path, target.headers)
                if status != target.expect:
                    raise RuntimeError(f"{target.name}: {status} {body[:300]!r}")
                load(server, target.path, target.headers, 1.0, connections)  # warm-up
            loads = {t.name: load(server, t.path, t.headers, seconds, connections) for t in targets}
            runs.append(HttpRun(count, loads))
    return runs
