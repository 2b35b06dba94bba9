"""Logging in and out, the session, organizations, and who may see the API Keys page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import ALICE, DOCS, PASSWORD, VERA, Api, grid_rows, log_in, shot

pytestmark = pytest.mark.e2e


def org_switcher(page: Page, current: str) -> Locator:
    return page.get_by_role("button", name=f"Organization: {current}. Switch organization")


def test_login_wrong_password_reload_and_logout(page: Page, api: Api) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    shot(page, "01-login")

    page.get_by_label("Email address").fill(ALICE)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect email address or password.")
    expect(page).to_have_url(re.compile(r"/login$"))

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/orgs/[a-z]+/api-keys$"))

    # The session survives a reload.
    page.goto("/orgs/demo/api-keys")
    page.reload()
    expect(page.get_by_role("heading", name="API Keys")).to_be_visible()
    expect(page.get_by_role("button", name="Account menu for Alice Admin")).to_be_visible()
    expect(grid_rows(page).first).to_be_visible()
    # The picture for the README, taken while the demo organization holds only its demo keys
    # (this module runs first); a row is hovered to show its menu button.
    if api.count_keys() <= 5:
        DOCS.mkdir(exist_ok=True)
        grid_rows(page).filter(has_text="Reporting dashboard").hover()
        page.wait_for_timeout(300)  # the menu button fades in
        page.screenshot(
            path=str(DOCS / "screenshot-api-keys.png"),
            clip={"x": 0, "y": 0, "width": 1440, "height": 470},
        )
    shot(page, "02-api-keys")

    page.get_by_role("button", name="Account menu for Alice Admin").click()
    page.get_by_role("menuitem", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    assert api.status_of_get("/api/v1/auth/me") == 401
    page.goto("/orgs/demo/api-keys")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_expired_session_returns_to_login_once(page: Page) -> None:
    log_in(page)
    expect(grid_rows(page).first).to_be_visible()
    page.context.clear_cookies()
    page.get_by_role("link", name="Members").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Your session has ended. Please log in again.")).to_be_visible()
    # Logging in again brings the user back where they were going.
    page.get_by_label("Email address").fill(ALICE)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/orgs/demo/members$"))
    expect(page.get_by_role("heading", name="Members")).to_be_visible()


def test_switch_organization(page: Page, api: Api) -> None:
    log_in(page)
    acme_total = api.get(f"/api/v1/organizations/{api.org('acme')}/api-keys")["total"]
    demo_total = api.get(f"/api/v1/organizations/{api.org('demo')}/api-keys")["total"]
    expect(page.get_by_test_id("grid-total")).to_have_text(re.compile(rf"^{demo_total} keys?"))

    org_switcher(page, "Demo Organization").click()
    page.get_by_role("menuitem", name=re.compile("Acme Research")).click()
    expect(page).to_have_url(re.compile(r"/orgs/acme/api-keys$"))
    expect(org_switcher(page, "Acme Research")).to_be_visible()
    expect(page.get_by_test_id("grid-total")).to_have_text(re.compile(rf"^{acme_total} keys?"))
    assert grid_rows(page).filter(has_text="Legacy sync").count() == 0

    # The page stays in the chosen organization on another page and after a reload.
    page.get_by_role("link", name="Members").click()
    expect(page).to_have_url(re.compile(r"/orgs/acme/members$"))
    page.reload()
    expect(org_switcher(page, "Acme Research")).to_be_visible()
    shot(page, "03-members")


def test_member_who_is_not_administrator_never_sees_the_keys(page: Page, api: Api) -> None:
    log_in(page, VERA)
    expect(page.get_by_role("heading", name="Administrators only")).to_be_visible()
    expect(page.get_by_text("Your role in this organization is Viewer")).to_be_visible()
    expect(page.get_by_role("button", name="Add Key")).to_have_count(0)
    expect(page.get_by_role("grid")).to_have_count(0)
    shot(page, "04-administrators-only")
    # The API refuses too.
    assert api.status_of_get(f"/api/v1/organizations/{api.org('demo')}/api-keys") == 403
    # Activity and Members are administrators' pages as well.
    page.get_by_role("link", name="Activity").click()
    expect(page.get_by_role("heading", name="Administrators only")).to_be_visible()
