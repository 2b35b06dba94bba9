import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api/client";
import type { ApiKey } from "../../api/types";
import { answer, renderWithProviders } from "../../test/utils";
import RollKeyDialog from "./RollKeyDialog";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, api: { GET: vi.fn(), POST: vi.fn(), DELETE: vi.fn() } };
});

const POST = vi.mocked(api.POST);

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

beforeEach(() => {
  vi.clearAllMocks();
});

function setup(apiKey: ApiKey = key) {
  const onRolled = vi.fn();
  const onMissing = vi.fn();
  const rendered = renderWithProviders(
    <RollKeyDialog orgId="o1" apiKey={apiKey} onClose={vi.fn()} onRolled={onRolled} onMissing={onMissing} />,
  );
  return { ...rendered, onRolled, onMissing };
}

describe("RollKeyDialog", () => {
  it("explains the roll, defaults to no overlap and refuses more than 72 hours", async () => {
    const user = userEvent.setup();
    setup();
    expect(screen.getByText(/replaces the current/)).toBeInTheDocument();
    const overlap = screen.getByRole("spinbutton", { name: "Keep the old secret working for" });
    expect(overlap).toHaveValue(0);
    expect(screen.getByText(/stops working as soon as you roll/)).toBeInTheDocument();
    await user.clear(overlap);
    await user.type(overlap, "100");
    await user.click(screen.getByRole("button", { name: "Roll key" }));
    expect(await screen.findByText("At most 72 hours.")).toBeInTheDocument();
    expect(POST).not.toHaveBeenCalled();
  });

  it("rolls with the overlap, shows the new secret once and forgets it on OK", async () => {
    const user = userEvent.setup();
    const secret = "kh_NEW-SECRET-rolled";
    POST.mockReturnValue(answer(200, { ...key, lastRolledDate: "2030-02-01T00:00:00Z", secret }));
    const { onRolled, queryClient } = setup();
    const listKey = ["api-keys", "o1", { limit: 25, offset: 0 }];
    queryClient.setQueryData(listKey, { items: [key], total: 1 });

    const overlap = screen.getByRole("spinbutton", { name: "Keep the old secret working for" });
    await user.clear(overlap);
    await user.type(overlap, "24");
    expect(screen.getByText(/keeps working for 24 more hours/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Roll key" }));

    expect(await screen.findByRole("textbox", { name: "New secret key" })).toHaveValue(secret);
    expect(screen.getByRole("dialog", { name: "API key rolled" })).toBeInTheDocument();
    expect(screen.getByText(/will not be shown again/)).toBeInTheDocument();
    expect(POST).toHaveBeenCalledWith("/api/v1/organizations/{orgId}/api-keys/{keyId}/roll", {
      params: { path: { orgId: "o1", keyId: "k1" } },
      body: { overlapHours: 24 },
    });
    expect(queryClient.getQueryState(listKey)?.isInvalidated).toBe(true);
    const inQueries = () => JSON.stringify(queryClient.getQueryCache().getAll().map((q) => q.state.data));
    expect(inQueries()).not.toContain(secret);

    await user.click(screen.getByRole("button", { name: "OK" }));
    expect(onRolled).toHaveBeenCalledWith("Nightly sync");
    await waitFor(() => {
      expect(queryClient.getMutationCache().getAll()).toHaveLength(0);
    });
  });

  it("asks an expired key for a new expiration date", async () => {
    const user = userEvent.setup();
    setup({ ...key, status: "expired", expirationDate: "2020-01-01" });
    await user.click(screen.getByRole("button", { name: "Roll key" }));
    expect(await screen.findByText("The key has expired: choose a new expiration date to roll it.")).toBeInTheDocument();
    expect(POST).not.toHaveBeenCalled();
  });

  it("puts the server's field errors beside the fields, and reports a vanished key", async () => {
    const user = userEvent.setup();
    POST.mockReturnValueOnce(
      answer(422, {
        code: "validation_failed",
        detail: "Invalid",
        errors: [{ field: "body.overlapHours", message: "must be at most 72" }],
      }),
    );
    const { onMissing } = setup();
    await user.click(screen.getByRole("button", { name: "Roll key" }));
    expect(await screen.findByText("The overlap must be at most 72.")).toBeInTheDocument();

    POST.mockReturnValueOnce(answer(404, { code: "not_found", detail: "No such API key." }));
    await user.click(screen.getByRole("button", { name: "Roll key" }));
    await waitFor(() => {
      expect(onMissing).toHaveBeenCalled();
    });
  });
});
