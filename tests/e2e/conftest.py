"""Browser tests: a real `keyhouse serve` with the demo data, driven in Debian's Chromium.

One server per session (temp data dir, migrated, `keyhouse demo`), a fresh browser context per
test. Skipped, with the reason, when Chromium or the built portal is missing; `make test` builds
the portal and CI installs Chromium, so there they run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.helpers import Api

ROOT = Path(__file__).resolve().parents[2]
KEYHOUSE = ROOT / ".venv" / "bin" / "keyhouse"
PORTAL_INDEX = ROOT / "src" / "keyhouse" / "static" / "portal" / "index.html"
CHROMIUM = Path(os.environ.get("KEYHOUSE_E2E_CHROMIUM", "/usr/bin/chromium"))


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not PORTAL_INDEX.exists():
        return f"the portal is not built ({PORTAL_INDEX} missing: run make portal)"
    if not KEYHOUSE.exists():
        return f"{KEYHOUSE} missing (make venv)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"keyhouse serve exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"keyhouse serve did not become healthy:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    data_dir = Path(tempfile.mkdtemp(prefix="keyhouse-e2e-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYHOUSE_")}
    env["KEYHOUSE_DATA_DIR"] = str(data_dir)
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(KEYHOUSE), *args], env=env, check=True, capture_output=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(KEYHOUSE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def playwright_instance(base_url: str) -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    b = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    ctx = browser.new_context(
        base_url=base_url,
        locale="en-US",
        timezone_id="UTC",
        viewport={"width": 1440, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    # An uncaught exception in the portal fails the test that caused it.
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def api(page: Page) -> Api:
    return Api(page)


def pytest_report_header() -> list[str]:
    reason = _skip_reason()
    return [f"e2e: {'skipped: ' + reason if reason else 'Chromium ' + str(CHROMIUM)}"]
