import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api/client";
import type { ApiKey, KeySummary, KeyUsage } from "../../api/types";
import { answer, renderWithProviders } from "../../test/utils";
import ExpiryBanner from "./ExpiryBanner";
import KeyInfoDialog from "./KeyInfoDialog";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, api: { GET: vi.fn(), POST: vi.fn(), DELETE: vi.fn() } };
});

const GET = vi.mocked(api.GET);

const key: ApiKey = {
  id: "k1",
  title: "Nightly sync",
  role: "editor",
  email: "k1@keys.test",
  createdBy: { id: "u1", name: "Alice Admin", email: "alice@x" },
  creationDate: "2030-01-01T10:00:00Z",
  expirationDate: "2031-01-01",
  status: "expiring",
  lastUsedDate: null,
  lastUsedAddress: null,
  lastRolledDate: "2030-06-01T08:30:00Z",
  previousSecretValidUntil: null,
};

beforeEach(() => {
  vi.clearAllMocks();
});

describe("ExpiryBanner", () => {
  function summary(s: Partial<KeySummary>): KeySummary {
    return { total: 10, active: 10, expiring: 0, expired: 0, warningDays: 14, ...s };
  }

  it("is hidden when no key expires soon or has expired", async () => {
    GET.mockReturnValue(answer(200, summary({})));
    const { container } = renderWithProviders(<ExpiryBanner orgId="o1" onShow={vi.fn()} />);
    await waitFor(() => {
      expect(GET).toHaveBeenCalled();
    });
    expect(container).toBeEmptyDOMElement();
  });

  it("counts the keys and filters the table to them", async () => {
    GET.mockReturnValue(answer(200, summary({ active: 7, expiring: 2, expired: 1 })));
    const onShow = vi.fn();
    renderWithProviders(<ExpiryBanner orgId="o1" onShow={onShow} />);
    expect(await screen.findByText(/2 keys expire within 14 days; 1 key has expired/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Show these keys" }));
    expect(onShow).toHaveBeenCalledWith(["expiring", "expired"]);
  });
});

describe("KeyInfoDialog", () => {
  it("shows the status, when the key was rolled and last used, from where, and its usage", async () => {
    const usage: KeyUsage = {
      keyId: "k1",
      days: [{ date: new Date().toISOString().slice(0, 10), succeeded: 12, refused: 3 }],
      lastUsedDate: "2030-06-02T09:00:00Z",
      lastUsedAddress: "203.0.113.7",
    };
    GET.mockImplementation((path: string) =>
      path.endsWith("/usage") ? answer(200, usage) : answer(200, key));
    renderWithProviders(<KeyInfoDialog orgId="o1" initial={key} onClose={vi.fn()} />);
    expect(screen.getByText("Expiring soon")).toBeInTheDocument();
    expect(screen.getByText("Last rolled")).toBeInTheDocument();
    expect(screen.queryByText("Previous secret works until")).not.toBeInTheDocument();
    expect(await screen.findByText("203.0.113.7")).toBeInTheDocument();
    expect(screen.queryByText("Never")).not.toBeInTheDocument();
    expect(await screen.findByText("12 succeeded · 3 refused in the last 30 days")).toBeInTheDocument();
    expect(screen.getByRole("figure", { name: "Requests per day, last 30 days" })).toBeInTheDocument();
    expect(GET).toHaveBeenCalledWith("/api/v1/organizations/{orgId}/api-keys/{keyId}/usage", {
      params: { path: { orgId: "o1", keyId: "k1" }, query: { days: 30 } },
      signal: expect.any(AbortSignal) as AbortSignal,
    });
  });

  it("says Never for a key never used", async () => {
    const usage: KeyUsage = { keyId: "k1", days: [], lastUsedDate: null, lastUsedAddress: null };
    GET.mockImplementation((path: string) =>
      path.endsWith("/usage") ? answer(200, usage) : answer(200, { ...key, lastRolledDate: null }));
    renderWithProviders(<KeyInfoDialog orgId="o1" initial={{ ...key, lastRolledDate: null }} onClose={vi.fn()} />);
    expect(await screen.findByText("No requests in the last 30 days.")).toBeInTheDocument();
    expect(screen.getByText("Never")).toBeInTheDocument();
    expect(screen.queryByText("Last rolled")).not.toBeInTheDocument();
    expect(screen.queryByText("From")).not.toBeInTheDocument();
  });
});
