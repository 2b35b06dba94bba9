"""Helpers for the browser tests: logging in, arranging data through the API, screenshots."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from playwright.sync_api import Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DOCS = ROOT / "docs"
PASSWORD = "keyhouse-demo"
ALICE = "alice@demo.keyhouse.test"
EDDIE = "eddie@demo.keyhouse.test"
VERA = "vera@demo.keyhouse.test"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def unique(prefix: str) -> str:
    return f"{prefix} {time.time_ns() % 10**10}"


def log_in(page: Page, email: str = ALICE, org_slug: str | None = "demo") -> None:
    """Logs in through the form and lands on the organization's API Keys page."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/orgs/[^/]+/"))
    if org_slug:
        page.goto(f"/orgs/{org_slug}/api-keys")


@dataclass
class Api:
    """Direct API calls with the page's session (for arranging data), CSRF header included."""

    page: Page
    org_ids: dict[str, str] = field(default_factory=dict)

    def _csrf(self) -> str:
        for c in self.page.context.cookies():
            if c["name"] == "kh_csrf":
                return c["value"]
        raise AssertionError("no kh_csrf cookie: log in first")

    def me(self) -> dict[str, Any]:
        r = self.page.request.get("/api/v1/auth/me")
        assert r.ok, r.text()
        data: dict[str, Any] = r.json()
        for m in data["memberships"]:
            self.org_ids[m["organization"]["slug"]] = m["organization"]["id"]
        return data

    def org(self, slug: str = "demo") -> str:
        if slug not in self.org_ids:
            self.me()
        return self.org_ids[slug]

    def get(self, path: str, **headers: str) -> Any:
        r = self.page.request.get(path, headers=headers or None)
        assert r.ok, f"GET {path}: {r.status} {r.text()}"
        return r.json()

    def status_of_get(self, path: str) -> int:
        return self.page.request.get(path).status

    def create_key(
        self, title: str, role: str = "editor", days: int = 30, slug: str = "demo"
    ) -> dict[str, Any]:
        expires = (datetime.now(UTC).date() + timedelta(days=days)).isoformat()
        r = self.page.request.post(
            f"/api/v1/organizations/{self.org(slug)}/api-keys",
            data=json.dumps({"title": title, "expirationDate": expires, "role": role}),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self._csrf()},
        )
        assert r.status == 201, r.text()
        key: dict[str, Any] = r.json()
        return key

    def list_keys(self, *filters: str, slug: str = "demo") -> list[dict[str, Any]]:
        query = "&".join(f"filter={quote(f)}" for f in filters)
        data = self.get(f"/api/v1/organizations/{self.org(slug)}/api-keys?limit=100&{query}")
        items: list[dict[str, Any]] = data["items"]
        return items

    def count_keys(self, *filters: str, slug: str = "demo") -> int:
        query = "&".join(f"filter={quote(f)}" for f in filters)
        data = self.get(f"/api/v1/organizations/{self.org(slug)}/api-keys?limit=1&{query}")
        return int(data["total"])

    def status_with_key(self, secret: str, slug: str = "demo") -> int:
        """The status of a resource list called with an API key instead of the session."""
        origin = "{0.scheme}://{0.netloc}".format(urlparse(self.page.url))
        req = urllib.request.Request(  # noqa: S310 - the test server's own URL
            f"{origin}/api/v1/organizations/{self.org(slug)}/projects",
            headers={"Api-Key": secret},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
                return int(r.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    def call_with_key(self, secret: str, slug: str = "demo") -> tuple[int, dict[str, Any]]:
        """A resource list called with an API key: the status and the JSON (problem) body."""
        origin = "{0.scheme}://{0.netloc}".format(urlparse(self.page.url))
        req = urllib.request.Request(  # noqa: S310 - the test server's own URL
            f"{origin}/api/v1/organizations/{self.org(slug)}/projects",
            headers={"Api-Key": secret},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
                return int(r.status), json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return int(e.code), json.loads(e.read() or b"{}")

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        r = self.page.request.fetch(
            path,
            method=method,
            data=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", "X-CSRF-Token": self._csrf()},
        )
        assert r.ok, f"{method} {path}: {r.status} {r.text()}"
        return r.json() if r.status != 204 else None

    def roll_key(self, key_id: str, overlap_hours: int = 0, slug: str = "demo") -> dict[str, Any]:
        key: dict[str, Any] = self._send(
            "POST",
            f"/api/v1/organizations/{self.org(slug)}/api-keys/{key_id}/roll",
            {"overlapHours": overlap_hours},
        )
        return key

    def key_summary(self, slug: str = "demo") -> dict[str, Any]:
        data: dict[str, Any] = self.get(f"/api/v1/organizations/{self.org(slug)}/api-keys/summary")
        return data

    def set_warning_days(self, days: int, slug: str = "demo") -> None:
        self._send(
            "PATCH", f"/api/v1/organizations/{self.org(slug)}/settings", {"expiryWarningDays": days}
        )

    def member(self, email: str, slug: str = "demo") -> dict[str, Any]:
        query = quote(f"email:equals:{email}")
        data = self.get(f"/api/v1/organizations/{self.org(slug)}/members?filter={query}")
        item: dict[str, Any] = data["items"][0]
        return item

    def resources(self, kind: str, name: str, slug: str = "demo") -> list[dict[str, Any]]:
        data = self.get(
            f"/api/v1/organizations/{self.org(slug)}/{kind}?filter={quote('name:equals:' + name)}"
        )
        items: list[dict[str, Any]] = data["items"]
        return items

    def set_permissions_as_key(
        self, secret: str, kind: str, resource_id: str, entries: list[dict[str, str]]
    ) -> None:
        r = self.page.request.put(
            f"/api/v1/organizations/{self.org()}/{kind}/{resource_id}/permissions",
            data=json.dumps({"entries": entries}),
            headers={"Content-Type": "application/json", "Api-Key": secret},
        )
        assert r.ok, r.text()

    def create_resource_as_key(
        self, secret: str, kind: str, body: dict[str, Any], slug: str = "demo"
    ) -> dict[str, Any]:
        r = self.page.request.post(
            f"/api/v1/organizations/{self.org(slug)}/{kind}",
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "Api-Key": secret},
        )
        assert r.status == 201, r.text()
        res: dict[str, Any] = r.json()
        return res


def today_plus(days: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def type_date(page: Page, label: str, when: datetime) -> None:
    """Types a date into an MUI X date field (en-US: MM/DD/YYYY), section by section."""
    page.get_by_role("group", name=label).click()
    page.keyboard.press("Home")
    page.keyboard.type(when.strftime("%m%d%Y"))


def grid_rows(page: Page) -> Any:
    """The data rows of the grid on the page (not the header row)."""
    return page.locator('[role="row"][data-id]')


def column_header(page: Page, title: str) -> Locator:
    """A grid column header by its visible title (its accessible name adds sort/filter icons)."""
    return page.get_by_role("columnheader").filter(has=page.get_by_text(title, exact=True))


def column_menu(page: Page, column: str, item: str) -> None:
    """Opens a column header's menu and picks an item (sort, filter, hide, manage columns)."""
    column_header(page, column).hover()
    page.get_by_role("button", name=f"{column} column menu").click()
    page.get_by_role("menuitem", name=item).click()


def filter_title(page: Page, text: str, expected_total: int | None = None) -> None:
    """Filters the API keys grid on "Title contains <text>" through the column menu."""
    column_menu(page, "Title", "Filter")
    # The grid applies a typed value after a short debounce: wait for the filtered request.
    with page.expect_response(lambda r: "/api-keys?" in r.url and "filter=title" in r.url):
        page.get_by_label("Value").fill(text)
    page.keyboard.press("Escape")
    if expected_total is not None:
        expect_total(page, expected_total)


def expect_total(page: Page, total: int, noun: str = "keys") -> None:
    word = noun if total != 1 else noun.rstrip("s")
    expect(page.get_by_test_id("grid-total")).to_have_text(f"{total} {word} in total")


def open_row_menu(page: Page, title: str) -> None:
    """Hovers a key's row to reveal its menu button, then opens the menu."""
    row = grid_rows(page).filter(has_text=title)
    row.hover()
    row.get_by_role("button", name=f"Actions for {title}").click()


def clipboard(page: Page) -> str:
    return str(page.evaluate("navigator.clipboard.readText()"))


SECRET_SHAPE = re.compile(r"^kh_[0-9A-Za-z]{38}$")
