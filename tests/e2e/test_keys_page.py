"""The API Keys page: the table, Add Key, View information, and text that looks like HTML."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from tests.e2e.helpers import (
    SECRET_SHAPE,
    Api,
    clipboard,
    column_header,
    column_menu,
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

DEFAULT_HEADERS = ["Title", "ID", "Created by", "Creation date", "Expiration date"]
HIDDEN_HEADERS = ["Role", "Status", "Last used"]


def header(page: Page, name: str) -> Locator:
    return column_header(page, name)


def key_list_queries(requests: list[Request]) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlparse(r.url).query)
        for r in requests
        if re.search(r"/api/v1/organizations/[^/]+/api-keys(\?|$)", r.url) and r.method == "GET"
    ]


def test_table_columns_sort_filter_pagination_and_remembered_choices(page: Page, api: Api) -> None:
    log_in(page)
    for name in DEFAULT_HEADERS:
        expect(header(page, name)).to_be_visible()
    for name in HIDDEN_HEADERS:
        expect(header(page, name)).to_have_count(0)

    # Expired keys are marked as such.
    legacy = grid_rows(page).filter(has_text="Legacy sync")
    expect(legacy.get_by_text("Expired", exact=True)).to_be_visible()
    expect(grid_rows(page).filter(has_text="CI pipeline").get_by_text("Expired")).to_have_count(0)

    run = unique("Page")
    for i in range(1, 28):
        api.create_key(f"{run} {i:02d}", role="viewer" if i % 2 else "editor")

    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.reload()
    filter_title(page, run, expected_total=27)
    expect(grid_rows(page)).to_have_count(25)
    expect(page.get_by_text("1–25 of 27")).to_be_visible()
    assert {"filter": [f"title:contains:{run}"], "limit": ["25"], "offset": ["0"]} in [
        {k: v for k, v in q.items() if k in ("filter", "limit", "offset")}
        for q in key_list_queries(requests)
    ]

    page.get_by_role("button", name="Go to next page").click()
    expect(grid_rows(page)).to_have_count(2)
    expect(page.get_by_text("26–27 of 27")).to_be_visible()

    # 25 / 50 / 100 rows a page.
    page.get_by_role("combobox", name=re.compile("Rows per page")).click()
    options = page.get_by_role("option")
    expect(options).to_have_text(["25", "50", "100"])
    page.get_by_role("option", name="50").click()
    expect(grid_rows(page)).to_have_count(27)

    # Sorting is done by the server.
    column_menu(page, "Title", "Sort descending")
    expect(grid_rows(page).first).to_contain_text(f"{run} 27")
    expect(grid_rows(page).last).to_contain_text(f"{run} 01")
    assert any(q.get("sort") == ["-title"] for q in key_list_queries(requests))

    # Show Role through "Manage columns", hide ID through its own menu.
    column_menu(page, "Title", "Manage columns")
    page.get_by_role("checkbox", name="Role").check()
    page.keyboard.press("Escape")
    expect(header(page, "Role")).to_be_visible()
    expect(grid_rows(page).first.get_by_text("Viewer")).to_be_visible()  # 27 is odd: viewer
    column_menu(page, "ID", "Hide column")
    expect(header(page, "ID")).to_have_count(0)

    # Filter on the role column (a singleSelect): the operator name passes through as is.
    column_menu(page, "Role", "Filter")
    page.get_by_role("combobox", name="Value").click()
    page.get_by_role("option", name="Editor").click()
    page.keyboard.press("Escape")
    expect_total(page, api.count_keys("role:is:editor"))
    assert any(q.get("filter") == ["role:is:editor"] for q in key_list_queries(requests))
    shot(page, "05-api-keys-filtered")

    # The choices are remembered for this user across a reload.
    page.reload()
    expect(header(page, "Role")).to_be_visible()
    expect(header(page, "ID")).to_have_count(0)
    expect(page.get_by_test_id("grid-total")).to_have_text(
        f"{api.count_keys('role:is:editor')} keys in total"
    )
    expect(page.get_by_role("combobox", name=re.compile("Rows per page"))).to_have_text("50")
    rows = grid_rows(page).all_inner_texts()
    titles = [r.split("\n")[0] for r in rows]
    assert titles == sorted(titles, key=str.lower, reverse=True), titles


def test_add_key_with_server_errors_and_the_secret_shown_once(page: Page, api: Api) -> None:
    log_in(page)
    page.get_by_role("button", name="Add Key").click()
    dialog = page.get_by_role("dialog", name="Add Key")
    expect(dialog).to_be_visible()
    shot(page, "06-add-key")

    # Required fields.
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text("Enter a name for the key.")).to_be_visible()
    expect(dialog.get_by_text("Choose a role.")).to_be_visible()

    # A date past the maximum lifetime is refused before anything is sent.
    posts: list[Request] = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    dialog.get_by_label("Name").fill("CI pipeline")  # a demo key has this title
    type_date(page, "Expiration date", today_plus(800))
    dialog.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name="Viewer").click()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.get_by_text(re.compile("A key can live at most 730 days"))).to_be_visible()
    assert posts == []

    # The server refuses a title already taken: the message is beside the Name field.
    type_date(page, "Expiration date", today_plus(90))
    dialog.get_by_role("button", name="Create").click()
    name = dialog.get_by_label("Name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(re.compile("already", re.IGNORECASE))
    assert len(posts) == 1

    title = unique("Deploy bot")
    name.fill(title)
    dialog.get_by_role("button", name="Create").click()

    created = page.get_by_role("dialog", name="API key created")
    expect(created).to_be_visible()
    expect(created.get_by_text(re.compile("private"))).to_be_visible()
    expect(created.get_by_text(re.compile("will not be shown again"))).to_be_visible()
    secret = created.get_by_label("Secret key").input_value()
    assert SECRET_SHAPE.match(secret), secret
    created.get_by_role("button", name="Copy secret").click()
    expect(created.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert clipboard(page) == secret
    shot(page, "07-secret")

    created.get_by_role("button", name="OK").click()
    expect(created).to_have_count(0)
    expect(grid_rows(page).filter(has_text=title)).to_have_count(1)
    expect(page.get_by_test_id("toast")).to_contain_text(f'API key "{title}" created.')
    # The secret is gone from the page once the dialog is closed.
    assert secret not in page.content()
    stored = page.evaluate("JSON.stringify([localStorage, sessionStorage, location.href])")
    assert secret not in stored
    # It works as a credential, and the key has the chosen role and date.
    key = next(k for k in api.list_keys(f"title:equals:{title}"))
    assert key["role"] == "viewer"
    assert key["expirationDate"] == today_plus(90).date().isoformat()
    assert api.status_with_key(secret) == 200


def test_view_information(page: Page, api: Api) -> None:
    title = unique("Info key")
    log_in(page)
    key = api.create_key(title, role="viewer", days=45)
    filter_title(page, title, expected_total=1)

    button = page.get_by_role("button", name=f"Actions for {title}")
    expect(button).to_have_css("opacity", "0")  # revealed on hover only
    grid_rows(page).filter(has_text=title).hover()
    expect(button).to_have_css("opacity", "1")
    button.click()
    expect(page.get_by_role("menuitem")).to_have_text(["View information", "Roll key", "Delete"])
    page.get_by_role("menuitem", name="View information").click()

    info = page.get_by_role("dialog", name="Key information")
    expect(info).to_contain_text(title)
    expect(info).to_contain_text("Alice Admin")
    expect(info).to_contain_text("Viewer")
    expect(info.get_by_test_id("key-email")).to_have_text(key["email"])
    expiry = today_plus(45)
    expect(info).to_contain_text(f"{expiry:%b} {expiry.day}, {expiry.year}")  # en-US locale
    info.get_by_role("button", name="Copy email address").click()
    expect(page.get_by_test_id("toast")).to_contain_text("Email address copied")
    assert clipboard(page) == key["email"]
    shot(page, "08-view-information")
    info.get_by_role("button", name="Close").click()
    expect(info).to_have_count(0)


def test_titles_that_look_like_html_stay_text(page: Page, api: Api) -> None:
    payload = "<img src=x onerror=alert(1)>"
    title = f"{payload} {unique('xss')}"
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page)
    api.create_key(title)
    filter_title(page, "onerror", expected_total=None)
    row = grid_rows(page).filter(has_text=title)
    expect(row).to_have_count(1)
    expect(row.get_by_text(title)).to_be_visible()
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="View information").click()
    expect(page.get_by_role("dialog", name="Key information")).to_contain_text(title)
    page.get_by_role("button", name="Close").click()
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="Delete").click()
    expect(page.get_by_role("dialog", name="Delete API key?")).to_contain_text(title)
    page.get_by_role("button", name="Cancel").click()
    # The activity log shows it as text too.
    page.get_by_role("link", name="Activity").click()
    created = grid_rows(page).filter(has_text="API key created").filter(has_text=title)
    expect(created).to_have_count(1)
    assert page.locator('img[src="x"]').count() == 0
    assert dialogs == []
