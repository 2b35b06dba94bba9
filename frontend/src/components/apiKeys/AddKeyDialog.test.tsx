import { screen, waitFor } from "@testing-library/react";
import dayjs from "dayjs";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api/client";
import { localeDateFormat } from "../../lib/dates";
import { answer, renderWithProviders } from "../../test/utils";
import AddKeyDialog from "./AddKeyDialog";
import SecretDialog from "./SecretDialog";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, api: { GET: vi.fn(), POST: vi.fn(), DELETE: vi.fn() } };
});

beforeEach(() => {
  vi.clearAllMocks();
});

describe("AddKeyDialog", () => {
  it("marks the three fields required and refuses an empty form without calling the API", async () => {
    renderWithProviders(<AddKeyDialog orgId="o1" onClose={vi.fn()} onCreated={vi.fn()} />);
    const name = screen.getByRole("textbox", { name: /Name/ });
    expect(name).toBeRequired();
    expect(screen.getByRole("combobox", { name: /Role/ })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByText("Enter a name for the key.")).toBeInTheDocument();
    expect(screen.getByText("Choose an expiration date.")).toBeInTheDocument();
    expect(screen.getByText("Choose a role.")).toBeInTheDocument();
    expect(api.POST).not.toHaveBeenCalled();
  });

  it("offers only the Editor and Viewer roles", async () => {
    renderWithProviders(<AddKeyDialog orgId="o1" onClose={vi.fn()} onCreated={vi.fn()} />);
    await userEvent.click(screen.getByRole("combobox", { name: /Role/ }));
    const options = await screen.findAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["Editor", "Viewer"]);
  });
});

describe("AddKeyDialog creating a key", () => {
  it("shows the secret from the create result only, refreshes the list, and forgets the secret on OK", async () => {
    const user = userEvent.setup();
    const secret = "kh_live_TOP-SECRET-123";
    vi.mocked(api.POST).mockReturnValue(
      answer(201, {
        id: "k9",
        title: "Nightly sync",
        role: "editor",
        email: "k9@keys.test",
        createdBy: { id: "u1", name: "Alice Admin", email: "alice@x" },
        creationDate: "2030-01-01T10:00:00Z",
        expirationDate: "2030-02-01",
        status: "active",
        lastUsedDate: null,
        secret,
      }),
    );
    const onCreated = vi.fn();
    const { queryClient } = renderWithProviders(
      <AddKeyDialog orgId="o1" onClose={vi.fn()} onCreated={onCreated} />,
    );
    // A page of the API Keys list as the grid would have cached it.
    const listKey = ["api-keys", "o1", { limit: 25, offset: 0 }];
    queryClient.setQueryData(listKey, { items: [], total: 0 });

    await user.type(screen.getByRole("textbox", { name: /Name/ }), "Nightly sync");
    const date = dayjs().add(30, "day");
    // The date picker's field: typing the digits fills its sections in the locale's order.
    await user.click(screen.getByRole("group", { name: /Expiration date/ }));
    await user.keyboard(date.format(localeDateFormat().replace(/[^YMD]/g, "")));
    await user.click(screen.getByRole("combobox", { name: /Role/ }));
    await user.click(await screen.findByRole("option", { name: "Editor" }));
    await user.click(screen.getByRole("button", { name: "Create" }));

    expect(await screen.findByRole("textbox", { name: "Secret key" })).toHaveValue(secret);
    expect(api.POST).toHaveBeenCalledWith("/api/v1/organizations/{orgId}/api-keys", {
      params: { path: { orgId: "o1" } },
      body: { title: "Nightly sync", expirationDate: date.format("YYYY-MM-DD"), role: "editor" },
    });
    // The list is invalidated (the grid refetches it), and the secret is in no query.
    expect(queryClient.getQueryState(listKey)?.isInvalidated).toBe(true);
    const inQueries = () => JSON.stringify(queryClient.getQueryCache().getAll().map((q) => [q.queryKey, q.state.data]));
    expect(inQueries()).not.toContain(secret);

    await user.click(screen.getByRole("button", { name: "OK" }));
    expect(onCreated).toHaveBeenCalledWith("Nightly sync");
    // OK reset the mutation: its result (the secret) is gone from the mutation cache as well.
    await waitFor(() => {
      expect(queryClient.getMutationCache().getAll()).toHaveLength(0);
    });
    expect(inQueries()).not.toContain(secret);
  });
});

describe("SecretDialog", () => {
  it("shows the secret with its warning and confirms the copy", async () => {
    const user = userEvent.setup();
    const onClose = vi.fn();
    renderWithProviders(<SecretDialog title="CI" secret="kh_abc" onClose={onClose} />);
    expect(screen.getByRole("textbox", { name: "Secret key" })).toHaveValue("kh_abc");
    expect(screen.getByText(/will not be shown again/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Copy secret" }));
    expect(await screen.findByText("Copied to the clipboard.")).toBeInTheDocument();
    await expect(navigator.clipboard.readText()).resolves.toBe("kh_abc");
    await user.click(screen.getByRole("button", { name: "OK" }));
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
