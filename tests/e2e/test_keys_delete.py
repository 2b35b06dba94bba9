"""Deleting keys: transfer of what they own, the resources pages and the activity log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import (
    EDDIE,
    Api,
    expect_total,
    filter_title,
    grid_rows,
    log_in,
    open_row_menu,
    shot,
    unique,
)

pytestmark = pytest.mark.e2e


def test_delete_with_transfer_then_resources_and_activity_show_it(page: Page, api: Api) -> None:
    log_in(page)
    run = unique("Sync")
    title = f"Key {run}"
    key = api.create_key(title, role="editor")
    secret = key["secret"]
    ds = api.create_resource_as_key(secret, "datasources", {"name": f"Feed {run}"})
    project = api.create_resource_as_key(secret, "projects", {"name": f"Map {run}"})
    api.create_resource_as_key(
        secret,
        "layers",
        {"name": f"Layer {run}", "projectId": project["id"], "dataSourceId": ds["id"]},
    )
    shared = api.create_resource_as_key(secret, "projects", {"name": f"Shared {run}"})
    eddie = api.member(EDDIE)
    api.set_permissions_as_key(
        secret,
        "projects",
        shared["id"],
        [
            {"principalId": key["id"], "permission": "owner"},
            {"principalId": eddie["id"], "permission": "owner"},
        ],
    )

    page.reload()
    filter_title(page, run, expected_total=1)
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete API key?")
    expect(dialog.get_by_text(re.compile("irreversible"))).to_be_visible()

    sole = dialog.get_by_test_id("sole-owned")
    expect(sole).to_contain_text(f"Feed {run}")
    expect(sole).to_contain_text(f"Map {run}")
    expect(sole).to_contain_text(f"Layer {run}")
    expect(sole).not_to_contain_text(f"Shared {run}")
    expect(dialog.get_by_test_id("co-owned")).to_contain_text(f"Shared {run}")

    delete = dialog.get_by_role("button", name="Delete")
    expect(delete).to_be_disabled()  # no recipient chosen yet
    dialog.get_by_role("combobox", name="New owner").click()
    options = page.get_by_role("option")
    expect(options.filter(has_text="Eddie Editor")).to_contain_text(EDDIE)
    expect(options.filter(has_text="Vera Viewer")).to_have_count(0)  # viewers cannot own
    options.filter(has_text="Eddie Editor").click()
    expect(dialog.get_by_test_id("transfer-summary")).to_have_text(
        "Eddie Editor becomes the owner of 1 data source, 1 project, 1 layer."
    )
    expect(page.get_by_role("listbox")).to_have_count(0)
    page.wait_for_timeout(400)  # let the menu's closing animation end, for the picture
    shot(page, "09-delete-with-transfer")
    delete.click()

    expect(dialog).to_have_count(0)
    toast = page.get_by_test_id("toast")
    expect(toast).to_contain_text(f'API key "{title}" deleted.')
    expect(toast).to_contain_text("transferred to Eddie Editor")
    expect_total(page, 0)
    expect(page.get_by_text("No key matches the filter")).to_be_visible()

    # The resources pages show the new owner, and the key nowhere.
    page.get_by_role("link", name="Resources").click()
    page.get_by_role("tab", name="Projects").click()
    expect(page).to_have_url(re.compile(r"/resources/projects$"))
    for name in (f"Map {run}", f"Shared {run}"):
        row = grid_rows(page).filter(has_text=name)
        expect(row).to_contain_text("Eddie Editor")
        expect(row).not_to_contain_text(title)
    page.get_by_role("tab", name="Data sources").click()
    expect(grid_rows(page).filter(has_text=f"Feed {run}")).to_contain_text("Eddie Editor")
    page.get_by_role("tab", name="Layers").click()
    expect(grid_rows(page).filter(has_text=f"Layer {run}")).to_contain_text("Eddie Editor")
    page.wait_for_timeout(300)  # the tab indicator slides
    shot(page, "10-resources")

    # The activity page records the deletion and the transfer, most recent first.
    page.get_by_role("link", name="Activity").click()
    first = grid_rows(page).first
    expect(first).to_contain_text("API key deleted")
    expect(first).to_contain_text(title)
    expect(first).to_contain_text("Alice Admin")
    expect(first).to_contain_text("Recipient: Eddie Editor")
    expect(first).to_contain_text(f"Map {run}")
    shot(page, "11-activity")


def test_delete_a_key_that_owns_nothing(page: Page, api: Api) -> None:
    log_in(page)
    title = unique("Unused key")
    api.create_key(title)
    page.reload()
    filter_title(page, title, expected_total=1)
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete API key?")
    expect(dialog.get_by_test_id("owns-nothing")).to_have_text("This key owns no resources.")
    expect(dialog.get_by_role("radio")).to_have_count(0)
    with page.expect_request(lambda r: r.method == "DELETE" and "/api-keys/" in r.url) as deleted:
        dialog.get_by_role("button", name="Delete").click()
    assert "?" not in deleted.value.url  # neither transferTo nor deleteResources
    expect(page.get_by_test_id("toast")).to_have_text(f'API key "{title}" deleted.')
    expect_total(page, 0)
    assert api.list_keys(f"title:equals:{title}") == []


def test_delete_resources_permanently_needs_an_explicit_choice(page: Page, api: Api) -> None:
    log_in(page)
    run = unique("Scratch")
    title = f"Key {run}"
    key = api.create_key(title, role="editor")
    ds = api.create_resource_as_key(key["secret"], "datasources", {"name": f"Tmp {run}"})
    page.reload()
    filter_title(page, run, expected_total=1)
    open_row_menu(page, title)
    page.get_by_role("menuitem", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete API key?")
    expect(dialog.get_by_test_id("sole-owned")).to_contain_text(f"Tmp {run}")
    delete = dialog.get_by_role("button", name="Delete")
    expect(delete).to_be_disabled()
    dialog.get_by_role("radio", name="Delete the resources permanently").check()
    expect(dialog.get_by_test_id("deletion-warning")).to_contain_text(
        "These resources will be permanently deleted: 1 data source."
    )
    with page.expect_request(lambda r: r.method == "DELETE" and "/api-keys/" in r.url) as req:
        delete.click()
    assert "deleteResources=true" in req.value.url
    expect(page.get_by_test_id("toast")).to_contain_text("1 data source permanently deleted.")
    assert api.resources("datasources", ds["name"]) == []
