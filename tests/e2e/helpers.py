"""Helpers for the browser tests: logging in, arranging data through the API, screenshots."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

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
