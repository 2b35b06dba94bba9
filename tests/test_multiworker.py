"""Scale out: `keyhouse serve --workers 2` on one database; a deleted key is refused at once
by every worker.

The test starts the real command in a subprocess, finds which worker process serves each
connection (the server side of the TCP connection, from /proc), and goes on until both
workers have been seen: first accepting the key, then — from the very next request after
the DELETE answered — refusing it. On PostgreSQL (KEYHOUSE_TEST_POSTGRES_URL, in a schema
of its own) and on a SQLite file. No timing is asserted; loops are bounded.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from keyhouse.api_keys import service as keys
from keyhouse.auth.principal import Principal as Actor
from keyhouse.core import clock
from keyhouse.core.db import Database
from keyhouse.core.migrate import upgrade
from keyhouse.members import service as members
from keyhouse.organizations import service as orgs
from tests.conftest import POSTGRES_URL, scratch_schema

PASSWORD = "multi-worker-password"
MAX_ATTEMPTS = 400  # connections tried before giving up on seeing both workers
DEADLINE_SECONDS = 120

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="needs Linux /proc to tell workers apart"
)


@dataclass
class Setup:
    url: str
    org_id: str
    key_id: str
    secret: str
    admin_email: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _populate(url: str) -> Setup:
    db = Database(url)
    try:
        upgrade(db)
        with db.transaction() as s:
            org = orgs.create_organization(s, "Multi Worker", f"mw-{uuid.uuid4().hex[:8]}")
            user = orgs.create_user(s, f"admin-{uuid.uuid4().hex[:8]}@mw.test", "Ada", PASSWORD)
            member = members.add(s, org.id, user, "administrator")
            admin = Actor("member", member.id, org.id, member.role, user.name, user.email, user.id)
            view, secret = keys.create(
                s,
                org.id,
                title="Worker probe",
                expiration_date=(clock.today() + timedelta(days=30)).isoformat(),
                role="editor",
                creator=admin,
                max_lifetime_days=730,
                email_domain="keys.mw.test",
                client=None,
            )
            return Setup(url, org.id, view.id, secret, user.email)
    finally:
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'multiworker.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("KEYHOUSE_TEST_POSTGRES_URL is not set")
    with scratch_schema("multiworker") as url:
        yield url


class Server:
    def __init__(self, url: str, workdir: Path, workers: int) -> None:
        self.port = _free_port()
        self.log_path = workdir / "serve.log"
        env = {
            **os.environ,
            "KEYHOUSE_DATABASE_URL": url,
            "KEYHOUSE_DATA_DIR": str(workdir),
            "KEYHOUSE_SECRET_KEY": "multi-worker-test",
            # Refusals are what this test counts; keep the failure limit out of the way.
            "KEYHOUSE_AUTH_FAILURE_LIMIT": "100000",
        }
        keyhouse = shutil.which("keyhouse", path=str(Path(sys.executable).parent))
        assert keyhouse, "the keyhouse command is not installed in this environment"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [
                    keyhouse,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait(workers)

    def _wait(self, workers: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                status, _, _ = self.request("GET", "/healthz")
            except OSError:
                status = 0
            if status == 200 and len(self.workers()) >= workers:
                return
            time.sleep(0.2)
        pytest.fail(f"server did not start:\n{self.log_path.read_text()[-3000:]}")

    def workers(self) -> list[int]:
        """uvicorn's workers: the processes under the supervisor holding the listening socket."""
        listening = _listening_inodes(self.port)
        holders = [pid for pid in _tree(self.proc.pid) if _socket_inodes(pid) & listening]
        return [pid for pid in holders if pid != self.proc.pid] or holders

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        status, head, data, _ = self.request_on_fresh_connection(method, path, headers, body)
        return status, head, data

    def request_on_fresh_connection(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes, int | None]:
        """One request on a new connection, and the pid of the worker that served it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            # The connection is still open (keep-alive): find who holds its server side.
            assert conn.sock is not None
            pid = _serving_pid(self.port, conn.sock.getsockname()[1], self.workers())
            head = {k.lower(): v for k, v in response.getheaders()}
            head["set-cookie"] = "\n".join(response.msg.get_all("set-cookie") or [])
            return response.status, head, data, pid
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _tcp_rows() -> Iterator[tuple[int, int, str, str]]:
    """(local port, remote port, state, inode) of every TCP socket in this namespace."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, state, inode = parts[1], parts[2], parts[3], parts[9]
            yield int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16), state, inode


def _listening_inodes(port: int) -> set[str]:
    return {inode for lport, _, state, inode in _tcp_rows() if lport == port and state == "0A"}


def _serving_pid(server_port: int, client_port: int, workers: list[int]) -> int | None:
    inodes = {
        inode
        for lport, rport, _, inode in _tcp_rows()
        if (lport, rport) == (server_port, client_port)
    }
    for pid in workers:
        if _socket_inodes(pid) & inodes:
            return pid
    return None


def _login(server: Server, email: str) -> dict[str, str]:
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    status, head, data = server.request(
        "POST", "/api/v1/auth/login", {"Content-Type": "application/json"}, body
    )
    assert status == 200, data
    cookies = {}
    for part in head["set-cookie"].splitlines():
        name, _, rest = part.strip().partition("=")
        if name in ("kh_session", "kh_csrf"):
            cookies[name] = rest.split(";", 1)[0]
    assert set(cookies) == {"kh_session", "kh_csrf"}, head
    return {
        "Cookie": f"kh_session={cookies['kh_session']}; kh_csrf={cookies['kh_csrf']}",
        "X-CSRF-Token": cookies["kh_csrf"],
    }


def _until_both_workers(server: Server, path: str, secret: str, expect: int) -> dict[int, int]:
    """Requests on fresh connections until both workers answered; every answer `expect`."""
    seen: dict[int, int] = {}
    deadline = time.monotonic() + DEADLINE_SECONDS
    for _ in range(MAX_ATTEMPTS):
        status, _, data, pid = server.request_on_fresh_connection("GET", path, {"Api-Key": secret})
        assert status == expect, (status, data)
        if expect == 401:
            assert json.loads(data)["code"] == "api_key_invalid", data
        assert pid is not None, "could not tell which worker served the request"
        seen[pid] = seen.get(pid, 0) + 1
        if len(seen) == 2 or time.monotonic() > deadline:
            break
    return seen


def test_deleted_key_is_refused_by_every_worker_at_once(database_url: str, tmp_path: Path) -> None:
    setup = _populate(database_url)
    server = Server(database_url, tmp_path, workers=2)
    try:
        assert len(server.workers()) == 2
        path = f"/api/v1/organizations/{setup.org_id}/datasources"
        session = _login(server, setup.admin_email)

        accepted = _until_both_workers(server, path, setup.secret, expect=200)
        assert len(accepted) == 2, f"only one worker answered in {MAX_ATTEMPTS} connections"

        status, _, data = server.request(
            "DELETE", f"/api/v1/organizations/{setup.org_id}/api-keys/{setup.key_id}", session
        )
        assert status == 200, data

        # From the very next request on, through either worker: refused.
        refused = _until_both_workers(server, path, setup.secret, expect=401)
        assert len(refused) == 2, f"only one worker answered in {MAX_ATTEMPTS} connections"
        assert set(refused) == set(accepted)
    finally:
        server.stop()


def _totals_from_both_workers(server: Server, path: str, session: dict[str, str]) -> set[int]:
    """The list's total as each worker answers it, asking on fresh connections until both
    have answered (every answer after the first of a worker is from its remembered sizes)."""
    seen: dict[int, set[int]] = {}
    for _ in range(MAX_ATTEMPTS):
        status, _, data, pid = server.request_on_fresh_connection("GET", path, session)
        assert status == 200, data
        assert pid is not None, "could not tell which worker served the request"
        seen.setdefault(pid, set()).add(json.loads(data)["total"])
        if len(seen) == 2 and all(len(totals) for totals in seen.values()):
            break
    assert len(seen) == 2, f"only one worker answered in {MAX_ATTEMPTS} connections"
    return set().union(*seen.values())


def test_a_key_list_total_changes_in_every_worker_at_once(
    database_url: str, tmp_path: Path
) -> None:
    """Each worker remembers list totals in its own memory, under the organization's
    keys_version read from the database: a change made through one worker is counted by
    both on their very next list."""
    setup = _populate(database_url)
    server = Server(database_url, tmp_path, workers=2)
    try:
        session = _login(server, setup.admin_email)
        base = f"/api/v1/organizations/{setup.org_id}/api-keys"
        path = f"{base}?sort=title&filter=title:contains:probe&limit=1&offset=1"
        assert _totals_from_both_workers(server, path, session) == {1}
        body = json.dumps(
            {"title": "Second probe", "expirationDate": _day(40), "role": "viewer"}
        ).encode()
        status, _, data = server.request(
            "POST", base, {**session, "Content-Type": "application/json"}, body
        )
        assert status == 201, data
        assert _totals_from_both_workers(server, path, session) == {2}
        status, _, data = server.request("DELETE", f"{base}/{setup.key_id}", session)
        assert status == 200, data
        assert _totals_from_both_workers(server, path, session) == {1}
    finally:
        server.stop()


def _day(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()
