"""Issue 6 in the browser: rolling a key, expiry warnings and settings, webhooks and their
deliveries, a key's usage and the "unused for N days" filter."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.helpers import (
    SECRET_SHAPE,
    VERA,
    Api,
    clipboard,
    column_header,
    expect_total,
    filter_title,
    grid_rows,
    log_in,
    open_row_menu,
    shot,
    today_plus,
    type_date,
    unique,
)

pytestmark = pytest.mark.e2e

# The server delivers webhooks and flushes usage every few seconds: waits poll up to this long.
SLOW_MS = 20_000


def key_list_filters(requests: list[Request]) -> list[list[str]]:
    """The `filter` parameters of every API keys list request seen."""
    return [
        parse_qs(urlparse(r.url).query).get("filter", [])
        for r in requests
        if re.search(r"/api/v1/organizations/[^/]+/api-keys(\?|$)", r.url) and r.method == "GET"
    ]


# --- Roll a key -------------------------------------------------------------------------


def test_roll_key_replaces_the_secret_once_shown(page: Page, api: Api) -> None:
    title = unique("Roll me")
    log_in(page)
    key = api.create_key(title, days=30)
    old = key["secret"]
    assert api.status_with_key(old) == 200

    filter_title(page, title, expected_total=1)
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="Roll key").click()
    dialog = page.get_by_role("dialog", name="Roll key")
    expect(dialog).to_contain_text("replaces the current one")
    overlap = dialog.get_by_label("Keep the old secret working for")
    expect(overlap).to_have_value("0")
    expect(dialog).to_contain_text("stops working as soon as you roll the key")
    # Out of range: refused beside the field, nothing sent.
    overlap.fill("73")
    dialog.get_by_role("button", name="Roll key").click()
    expect(dialog).to_contain_text("At most 72 hours.")
    overlap.fill("0")
    shot(page, "20-roll-key-dialog")
    dialog.get_by_role("button", name="Roll key").click()

    rolled = page.get_by_role("dialog", name="API key rolled")
    secret_box = rolled.get_by_role("textbox", name="New secret key")
    expect(secret_box).to_have_value(SECRET_SHAPE)
    new = secret_box.input_value()
    assert new != old
    expect(rolled).to_contain_text("will not be shown again")
    rolled.get_by_role("button", name="Copy new secret").click()
    expect(rolled.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert clipboard(page) == new
    shot(page, "21-roll-key-secret")
    rolled.get_by_role("button", name="OK").click()
    expect(rolled).to_have_count(0)
    expect(page.get_by_test_id("toast")).to_contain_text(f'API key "{title}" rolled')
    # Once closed, the secret is nowhere in the page.
    assert new not in page.content()

    # The new secret works; the old one is refused at once, with its own code.
    assert api.call_with_key(new)[0] == 200
    status, problem = api.call_with_key(old)
    assert (status, problem.get("code")) == (401, "api_key_rolled")

    # View information tells when it was rolled; with no overlap, no previous secret works.
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="View information").click()
    info = page.get_by_role("dialog", name="Key information")
    expect(info.get_by_text("Last rolled")).to_be_visible()
    expect(info.get_by_text("Previous secret works until")).to_have_count(0)
    info.get_by_role("button", name="Close").click()

    # Rolled again with an overlap and a new expiration date: the previous secret still works.
    expires = today_plus(60)
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="Roll key").click()
    dialog = page.get_by_role("dialog", name="Roll key")
    dialog.get_by_label("Keep the old secret working for").fill("2")
    expect(dialog).to_contain_text("keeps working for 2 more hours")
    type_date(page, "New expiration date", expires)
    dialog.get_by_role("button", name="Roll key").click()
    rolled = page.get_by_role("dialog", name="API key rolled")
    newest = rolled.get_by_role("textbox", name="New secret key").input_value()
    assert SECRET_SHAPE.match(newest) and newest != new
    rolled.get_by_role("button", name="OK").click()
    assert api.call_with_key(newest)[0] == 200
    assert api.call_with_key(new)[0] == 200  # inside its 2-hour overlap
    assert api.call_with_key(old)[0] == 401

    open_row_menu(page, title)
    page.get_by_role("menuitem", name="View information").click()
    info = page.get_by_role("dialog", name="Key information")
    expect(info.get_by_text("Previous secret works until")).to_be_visible()
    expect(info).to_contain_text(f"{expires:%b} {expires.day}, {expires.year}")
    shot(page, "22-key-information-rolled")
    info.get_by_role("button", name="Close").click()

    # The activity log records the roll.
    page.get_by_role("link", name="Activity").click()
    expect(grid_rows(page).filter(has_text="API key rolled").filter(has_text=title)).to_have_count(
        2
    )


def test_an_expired_key_needs_a_new_date_to_roll(page: Page) -> None:
    log_in(page)
    filter_title(page, "Legacy sync", expected_total=1)
    open_row_menu(page, "Legacy sync")
    page.get_by_role("menuitem", name="Roll key").click()
    dialog = page.get_by_role("dialog", name="Roll key")
    dialog.get_by_role("button", name="Roll key").click()
    expect(dialog).to_contain_text("The key has expired: choose a new expiration date to roll it.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)


# --- Expiry: chip, banner, settings -----------------------------------------------------


def test_expiring_chip_banner_filter_and_settings(page: Page, api: Api) -> None:
    title = unique("Soon")
    log_in(page)
    api.create_key(title, days=3)
    summary = api.key_summary()
    assert summary["expiring"] >= 1 and summary["expired"] >= 1  # ours, and "Legacy sync"
    page.reload()

    banner = page.get_by_test_id("expiry-banner")
    expiring, expired, warning = summary["expiring"], summary["expired"], summary["warningDays"]
    expect(banner).to_contain_text(
        f"{expiring} {'key expires' if expiring == 1 else 'keys expire'} within {warning} days"
    )
    expect(banner).to_contain_text(
        f"{expired} {'key has' if expired == 1 else 'keys have'} expired"
    )

    filter_title(page, title, expected_total=1)
    row = grid_rows(page).filter(has_text=title)
    expect(row.get_by_text("Expiring soon", exact=True)).to_be_visible()

    # The banner's button filters the table to those keys, and shows the Status column.
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    banner.get_by_role("button", name="Show these keys").click()
    expect_total(page, expiring + expired)
    assert ["status:isAnyOf:expiring,expired"] in key_list_filters(requests)
    expect(column_header(page, "Status")).to_be_visible()
    expect(row.get_by_text("Expiring soon")).to_have_count(2)  # Expiration date and Status chips
    legacy = grid_rows(page).filter(has_text="Legacy sync")
    expect(legacy.get_by_text("Expired", exact=True)).to_have_count(2)
    expect(grid_rows(page).filter(has_text="CI pipeline")).to_have_count(0)
    shot(page, "23-expiry-banner")

    # The Status filter offers the three statuses.
    page.get_by_role("button", name="Filters", exact=True).click()
    page.get_by_role("combobox", name="Operator").click()
    page.get_by_role("option", name="is", exact=True).click()
    page.get_by_role("combobox", name="Value").click()
    expect(page.get_by_role("option")).to_have_text(["any", "Active", "Expiring soon", "Expired"])
    page.get_by_role("option", name="Expiring soon").click()
    page.keyboard.press("Escape")
    expect_total(page, expiring)
    assert ["status:is:expiring"] in key_list_filters(requests)

    # A shorter warning period in Settings: the key is no longer "expiring".
    try:
        page.get_by_role("link", name="Settings").click()
        days = page.get_by_label("Warn before expiry")
        expect(days).to_have_value(str(warning))
        save = page.get_by_role("button", name="Save")
        expect(save).to_be_disabled()
        days.fill("0")
        save.click()
        expect(page.get_by_text("Enter a whole number of days from 1 to 365.")).to_be_visible()
        days.fill("2")
        shot(page, "24-settings")
        save.click()
        expect(page.get_by_test_id("toast")).to_contain_text("Settings saved")
        assert api.key_summary()["warningDays"] == 2
        page.get_by_role("link", name="API Keys").click()
        # The Status filter is remembered: take it away.
        page.get_by_role("button", name="Filters", exact=True).click()
        page.locator(".MuiDataGrid-filterForm").get_by_role("button", name="Delete").click()
        page.keyboard.press("Escape")
        filter_title(page, title, expected_total=1)
        expect(row.get_by_text("Active", exact=True)).to_be_visible()
        expect(row.get_by_text("Expiring soon")).to_have_count(0)
    finally:
        api.set_warning_days(warning)


def test_admin_pages_are_for_administrators(page: Page) -> None:
    log_in(page, VERA, org_slug=None)
    for path, name in (("webhooks", "Webhooks"), ("settings", "Settings")):
        page.goto(f"/orgs/demo/{path}")
        expect(page.get_by_role("heading", name="Administrators only")).to_be_visible()
        expect(
            page.get_by_text(f"The {name} page is available to the administrators")
        ).to_be_visible()


# --- Webhooks ---------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A loopback HTTP server that records what it receives and answers 204."""
    received: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/keyhouse", received)
    finally:
        server.shutdown()
        server.server_close()


def wait_for(page: Page, predicate: Any, timeout_ms: int = SLOW_MS) -> None:
    """Polls a Python condition (e.g. what the receiver got) in short steps."""
    waited = 0
    while not predicate():
        assert waited < timeout_ms, "timed out"
        page.wait_for_timeout(200)
        waited += 200


def test_webhook_add_test_delivery_disable_delete(page: Page, api: Api, receiver: Receiver) -> None:
    description = f"<b>Inventory</b> sync {unique('hook')}"
    log_in(page)
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()

    page.get_by_role("button", name="Add webhook").click()
    dialog = page.get_by_role("dialog", name="Add webhook")
    # Every event is chosen by default.
    for event in ("created", "rolled", "expiring", "expired", "deleted"):
        expect(dialog.get_by_role("checkbox", name=f"api_key.{event}")).to_be_checked()
    # A plain-http URL to another machine is refused before anything is sent.
    url_box = dialog.get_by_role("textbox", name="URL")
    url_box.fill("http://example.com/hook")
    dialog.get_by_role("button", name="Add webhook").click()
    expect(dialog).to_contain_text("plain http:// is allowed only for 127.0.0.1")
    url_box.fill(receiver.url)
    dialog.get_by_role("textbox", name="Description").fill(description)
    dialog.get_by_role("checkbox", name="api_key.expiring").uncheck()
    shot(page, "25-add-webhook")
    dialog.get_by_role("button", name="Add webhook").click()

    added = page.get_by_role("dialog", name="Webhook added")
    secret = added.get_by_role("textbox", name="Signing secret").input_value()
    assert re.fullmatch(r"whsec_[0-9A-Za-z]{32}", secret)
    expect(added).to_contain_text("will not be shown again")
    added.get_by_role("button", name="Copy signing secret").click()
    assert clipboard(page) == secret
    added.get_by_role("button", name="OK").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Webhook added")
    assert secret not in page.content()

    row = grid_rows(page).filter(has_text=receiver.url)
    expect(row).to_have_count(1)
    expect(row.get_by_text(description, exact=True)).to_be_visible()  # text, not markup
    expect(row.locator("b")).to_have_count(0)
    expect(row.get_by_text("api_key.expiring")).to_have_count(0)
    expect(row.get_by_text("api_key.rolled")).to_be_visible()
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    expect(row.get_by_text("None yet")).to_be_visible()

    # Send test: queued (202), then delivered by the server's worker within seconds.
    row.get_by_role("button", name=f"Actions for {receiver.url}").click()
    page.get_by_role("menuitem", name="Send test").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Test event queued")
    row.get_by_role("button", name=f"Actions for {receiver.url}").click()
    page.get_by_role("menuitem", name="Deliveries").click()
    log = page.get_by_role("dialog", name="Deliveries")
    log_rows = log.locator('[role="row"][data-id]')
    delivered = log_rows.filter(has_text="Test").filter(has_text="Delivered")
    expect(delivered).to_have_count(1, timeout=SLOW_MS)
    expect(delivered).to_contain_text("HTTP 204")
    expect(page.locator(".MuiDialog-container")).to_have_css("opacity", "1")  # faded in
    shot(page, "26-webhook-deliveries")

    # What the receiver got is signed with the secret shown once.
    wait_for(page, lambda: any(e["type"] == "webhook.test" for e in receiver.events()))
    test_request = next(
        r for r in receiver.requests if json.loads(r.body)["type"] == "webhook.test"
    )
    parts = dict(p.split("=", 1) for p in test_request.headers["keyhouse-signature"].split(","))
    expected = hmac.new(
        secret.encode(), f"{parts['t']}.{test_request.body}".encode(), hashlib.sha256
    )
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())

    # A key event reaches it too, and shows in the log (which refreshes itself).
    key_title = unique("Hooked key")
    api.create_key(key_title)
    created = log_rows.filter(has_text="Key created")
    expect(created.filter(has_text="Delivered")).to_have_count(1, timeout=SLOW_MS)
    wait_for(page, lambda: any(e["type"] == "api_key.created" for e in receiver.events()))
    log.get_by_role("combobox", name="Status").click()
    page.get_by_role("option", name="Failed").click()
    expect(log.get_by_text("No failed deliveries")).to_be_visible()
    log.get_by_role("button", name="Close").click()
    expect(log).to_have_count(0)
    expect(row.get_by_text("Delivered")).to_be_visible()
    shot(page, "27-webhooks")

    # Disable, enable, delete.
    row.get_by_role("button", name=f"Actions for {receiver.url}").click()
    page.get_by_role("menuitem", name="Disable").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Webhook disabled")
    expect(row.get_by_text("Disabled", exact=True)).to_be_visible()
    row.get_by_role("button", name=f"Actions for {receiver.url}").click()
    page.get_by_role("menuitem", name="Enable").click()
    expect(row.get_by_text("Active", exact=True)).to_be_visible()
    row.get_by_role("button", name=f"Actions for {receiver.url}").click()
    page.get_by_role("menuitem", name="Delete").click()
    confirm = page.get_by_role("dialog", name="Delete webhook?")
    expect(confirm).to_contain_text("cannot be undone")
    confirm.get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Webhook deleted")
    expect(row).to_have_count(0)


# --- Usage ------------------------------------------------------------------------------


def test_usage_chart_and_unused_filter(page: Page, api: Api) -> None:
    run = unique("Usage")
    log_in(page)
    used = api.create_key(f"{run} used")
    api.create_key(f"{run} idle")
    for _ in range(3):
        assert api.call_with_key(used["secret"])[0] == 200
    new_secret = api.roll_key(used["id"])["secret"]
    for _ in range(2):
        assert api.call_with_key(used["secret"])[0] == 401  # the rolled secret: refused, counted
    assert api.call_with_key(new_secret)[0] == 200

    filter_title(page, run, expected_total=2)
    open_row_menu(page, f"{run} used")
    page.get_by_role("menuitem", name="View information").click()
    info = page.get_by_role("dialog", name="Key information")
    chart = info.get_by_role("figure", name="Requests per day, last 30 days")
    # The counts reach the database every few seconds; the open dialog asks again by itself.
    expect(chart.get_by_test_id("usage-totals")).to_have_text(
        "4 succeeded · 2 refused in the last 30 days", timeout=SLOW_MS
    )
    expect(chart.locator("svg rect").first).to_be_attached()
    expect(chart).to_contain_text("Succeeded")
    expect(chart).to_contain_text("Refused")
    last_used = info.locator("dt", has_text="Last used").locator("xpath=following-sibling::dd[1]")
    expect(last_used).not_to_have_text("Never")
    expect(last_used).to_contain_text(str(today_plus(0).year))
    from_ = info.locator("dt", has_text="From").locator("xpath=following-sibling::dd[1]")
    expect(from_).to_have_text("127.0.0.1")
    shot(page, "28-key-usage")
    info.get_by_role("button", name="Close").click()

    # The idle key has no requests, and says so.
    open_row_menu(page, f"{run} idle")
    page.get_by_role("menuitem", name="View information").click()
    info = page.get_by_role("dialog", name="Key information")
    expect(info.get_by_test_id("usage-totals")).to_have_text("No requests in the last 30 days.")
    last_used = info.locator("dt", has_text="Last used").locator("xpath=following-sibling::dd[1]")
    expect(last_used).to_have_text("Never")
    info.get_by_role("button", name="Close").click()

    # "Unused for 30+ days" adds unusedDays:>=:30 to the grid's own filter.
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.get_by_role("combobox", name="Usage").click()
    expect(page.get_by_role("option")).to_have_text(
        ["All keys", "Unused for 30+ days", "Unused for 60+ days", "Unused for 90+ days"]
    )
    page.get_by_role("option", name="Unused for 30+ days").click()
    expect_total(page, 1)
    expect(grid_rows(page).filter(has_text=f"{run} idle")).to_have_count(1)
    assert [f"title:contains:{run}", "unusedDays:>=:30"] in key_list_filters(requests)
    expect(page.locator(".MuiMenu-root")).to_have_count(0)  # the menu has faded out
    shot(page, "29-unused-filter")
    page.get_by_role("combobox", name="Usage").click()
    page.get_by_role("option", name="All keys").click()
    expect_total(page, 2)


def test_unused_filter_alone_matches_the_api(page: Page, api: Api) -> None:
    log_in(page)
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.get_by_role("combobox", name="Usage").click()
    page.get_by_role("option", name="Unused for 90+ days").click()
    expect_total(page, api.count_keys("unusedDays:>=:90"))
    assert ["unusedDays:>=:90"] in key_list_filters(requests)
