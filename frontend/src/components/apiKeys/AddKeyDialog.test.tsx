import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api/client";
import { renderWithProviders } from "../../test/utils";
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
