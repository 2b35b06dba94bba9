import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api/client";
import type { ApiKey, DeletionPreview } from "../../api/types";
import { answer, renderWithProviders } from "../../test/utils";
import DeleteKeyDialog from "./DeleteKeyDialog";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, api: { GET: vi.fn(), POST: vi.fn(), DELETE: vi.fn() } };
});

const GET = vi.mocked(api.GET);
const DELETE = vi.mocked(api.DELETE);

const key: ApiKey = {
  id: "k1",
  title: "Nightly sync",
  role: "editor",
  email: "k1@keys.test",
  createdBy: { id: "u1", name: "Alice Admin", email: "alice@x" },
  creationDate: "2030-01-01T10:00:00Z",
  expirationDate: "2031-01-01",
  status: "active",
  lastUsedDate: null,
  lastUsedAddress: null,
  lastRolledDate: null,
  previousSecretValidUntil: null,
};

const owning: DeletionPreview = {
  soleOwned: [
    { kind: "projects", id: "p1", name: "Roads" },
    { kind: "datasources", id: "d1", name: "Parcels DB" },
  ],
  coOwned: [{ kind: "layers", id: "l9", name: "Shared layer" }],
  dependents: [{ kind: "layers", id: "l1", name: "Road network" }],
  eligibleRecipients: [
    { id: "m-eddie", name: "Eddie Editor", email: "eddie@x", role: "editor" },
    { id: "m-alice", name: "Alice Admin", email: "alice@x", role: "administrator" },
  ],
};

const done = { recipient: null, transferred: [], released: [], deleted: [] };

function setup(preview: DeletionPreview) {
  GET.mockReturnValue(answer(200, preview));
  DELETE.mockReturnValue(answer(200, done));
  const onDeleted = vi.fn();
  const { queryClient } = renderWithProviders(
    <DeleteKeyDialog orgId="o1" apiKey={key} onClose={vi.fn()} onDeleted={onDeleted} onMissing={vi.fn()} />,
  );
  return { onDeleted, queryClient };
}

beforeEach(() => {
  vi.clearAllMocks();
});

describe("DeleteKeyDialog", () => {
  it("deletes a key that owns nothing without any parameter", async () => {
    const { onDeleted } = setup({ soleOwned: [], coOwned: [], dependents: [], eligibleRecipients: [] });
    expect(screen.getByText(/irreversible/i)).toBeInTheDocument();
    expect(await screen.findByText("This key owns no resources.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await waitFor(() => {
      expect(onDeleted).toHaveBeenCalled();
    });
    expect(DELETE).toHaveBeenCalledWith("/api/v1/organizations/{orgId}/api-keys/{keyId}", {
      params: { path: { orgId: "o1", keyId: "k1" }, query: {} },
    });
  });

  it("requires a recipient before transferring, and sends transferTo", async () => {
    const { queryClient, onDeleted } = setup(owning);
    // Pages the portal had cached: the transfer changes keys, resources and activity, not members.
    const page = { limit: 25, offset: 0 };
    const cached = {
      keys: ["api-keys", "o1", page],
      projects: ["resources", "o1", "projects", page],
      activity: ["audit-events", "o1", page],
      members: ["members", "o1", page],
      otherOrg: ["api-keys", "o2", page],
    };
    for (const k of Object.values(cached)) queryClient.setQueryData(k, { items: [], total: 0 });
    const sole = await screen.findByTestId("sole-owned");
    expect(within(sole).getByText("Roads")).toBeInTheDocument();
    expect(within(sole).getByText("Parcels DB")).toBeInTheDocument();
    expect(within(screen.getByTestId("co-owned")).getByText("Shared layer")).toBeInTheDocument();
    expect(within(screen.getByTestId("dependents")).getByText("Road network")).toBeInTheDocument();

    const del = screen.getByRole("button", { name: "Delete" });
    expect(del).toBeDisabled();

    await userEvent.click(screen.getByRole("combobox", { name: /New owner/ }));
    await userEvent.click(await screen.findByRole("option", { name: /Eddie Editor/ }));
    expect(screen.getByTestId("transfer-summary")).toHaveTextContent(
      "Eddie Editor becomes the owner of 1 data source, 1 project.",
    );
    expect(del).toBeEnabled();
    await userEvent.click(del);
    await waitFor(() => {
      expect(DELETE).toHaveBeenCalledTimes(1);
    });
    expect(DELETE.mock.calls[0]?.[1]).toEqual({
      params: { path: { orgId: "o1", keyId: "k1" }, query: { transferTo: "m-eddie" } },
    });
    await waitFor(() => {
      expect(onDeleted).toHaveBeenCalled();
    });
    const invalidated = (k: readonly unknown[]) => queryClient.getQueryState(k)?.isInvalidated;
    expect(invalidated(cached.keys)).toBe(true);
    expect(invalidated(cached.projects)).toBe(true);
    expect(invalidated(cached.activity)).toBe(true);
    expect(invalidated(cached.members)).toBe(false);
    expect(invalidated(cached.otherOrg)).toBe(false);
  });

  it("deletes the resources only on an explicit choice, saying what is lost", async () => {
    setup(owning);
    await screen.findByTestId("sole-owned");
    await userEvent.click(screen.getByRole("radio", { name: "Delete the resources permanently" }));
    expect(screen.getByTestId("deletion-warning")).toHaveTextContent(
      "These resources will be permanently deleted: 1 data source, 1 project. Their dependents will be deleted too: 1 layer.",
    );
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    await waitFor(() => {
      expect(DELETE).toHaveBeenCalledTimes(1);
    });
    expect(DELETE.mock.calls[0]?.[1]).toEqual({
      params: { path: { orgId: "o1", keyId: "k1" }, query: { deleteResources: true } },
    });
  });

  it("shows the new situation when the server answers resources_owned", async () => {
    setup({ soleOwned: [], coOwned: [], dependents: [], eligibleRecipients: [] });
    DELETE.mockReturnValue(
      answer(409, { code: "resources_owned", detail: "The key owns resources.", ...owning }),
    );
    await screen.findByText("This key owns no resources.");
    await userEvent.click(screen.getByRole("button", { name: "Delete" }));
    expect(await screen.findByText(/now owns resources/)).toBeInTheDocument();
    expect(within(screen.getByTestId("sole-owned")).getByText("Roads")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete" })).toBeDisabled();
  });
});
