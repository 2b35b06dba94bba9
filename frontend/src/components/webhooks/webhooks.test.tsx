import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../api/client";
import type { Delivery, Webhook } from "../../api/types";
import { answer, renderWithProviders } from "../../test/utils";
import AddWebhookDialog from "./AddWebhookDialog";
import DeliveriesDialog from "./DeliveriesDialog";

vi.mock("../../api/client", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../api/client")>();
  return { ...actual, api: { GET: vi.fn(), POST: vi.fn(), PATCH: vi.fn(), DELETE: vi.fn() } };
});

const GET = vi.mocked(api.GET);
const POST = vi.mocked(api.POST);

const hook: Webhook = {
  id: "w1",
  url: "https://hooks.example.com/keyhouse",
  description: "",
  events: ["api_key.created", "api_key.rolled", "api_key.expiring", "api_key.expired", "api_key.deleted"],
  active: true,
  createdAt: "2031-01-01T10:00:00Z",
  createdBy: "Alice Admin",
  lastDelivery: null,
};

beforeEach(() => {
  vi.clearAllMocks();
});

describe("AddWebhookDialog", () => {
  it("subscribes to every event by default and checks the URL before sending", async () => {
    const user = userEvent.setup();
    renderWithProviders(<AddWebhookDialog orgId="o1" onClose={vi.fn()} onCreated={vi.fn()} />);
    for (const box of screen.getAllByRole("checkbox")) expect(box).toBeChecked();
    expect(screen.getAllByRole("checkbox")).toHaveLength(5);
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText("Enter the URL that receives the events.")).toBeInTheDocument();
    await user.type(screen.getByRole("textbox", { name: /URL/ }), "http://example.com/hook");
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText(/plain http:\/\/ is allowed only for 127.0.0.1/)).toBeInTheDocument();
    for (const box of screen.getAllByRole("checkbox")) await user.click(box);
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText("Choose at least one event.")).toBeInTheDocument();
    expect(POST).not.toHaveBeenCalled();
  });

  it("sends the chosen events, shows the signing secret once and forgets it on OK", async () => {
    const user = userEvent.setup();
    const secret = "whsec_TOPSECRET";
    POST.mockReturnValue(answer(201, { ...hook, events: ["api_key.created", "api_key.rolled", "api_key.expired", "api_key.deleted"], secret }));
    const onCreated = vi.fn();
    const { queryClient } = renderWithProviders(<AddWebhookDialog orgId="o1" onClose={vi.fn()} onCreated={onCreated} />);
    await user.type(screen.getByRole("textbox", { name: /URL/ }), ` ${hook.url} `);
    await user.type(screen.getByRole("textbox", { name: "Description" }), "<b>CMDB</b>");
    await user.click(screen.getByRole("checkbox", { name: /api_key\.expiring/ }));
    await user.click(screen.getByRole("button", { name: "Add webhook" }));

    expect(await screen.findByRole("textbox", { name: "Signing secret" })).toHaveValue(secret);
    expect(POST).toHaveBeenCalledWith("/api/v1/organizations/{orgId}/webhooks", {
      params: { path: { orgId: "o1" } },
      body: {
        url: hook.url,
        description: "<b>CMDB</b>",
        events: ["api_key.created", "api_key.rolled", "api_key.expired", "api_key.deleted"],
      },
    });
    expect(screen.getByText(/will not be shown again/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "OK" }));
    expect(onCreated).toHaveBeenCalledWith(hook.url);
    await waitFor(() => {
      expect(queryClient.getMutationCache().getAll()).toHaveLength(0);
    });
    expect(JSON.stringify(queryClient.getQueryCache().getAll().map((q) => q.state.data))).not.toContain(secret);
  });

  it("puts the server's URL error beside the field", async () => {
    const user = userEvent.setup();
    POST.mockReturnValue(
      answer(422, { code: "validation_failed", errors: [{ field: "url", message: "must name a host" }] }),
    );
    renderWithProviders(<AddWebhookDialog orgId="o1" onClose={vi.fn()} onCreated={vi.fn()} />);
    await user.type(screen.getByRole("textbox", { name: /URL/ }), "https://x.test/");
    await user.click(screen.getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByText("URL must name a host.")).toBeInTheDocument();
  });
});

describe("DeliveriesDialog", () => {
  it("lists deliveries with their status, attempts and response, newest first as the API sends them", async () => {
    const deliveries: Delivery[] = [
      {
        id: "d2",
        eventId: "e2",
        eventType: "webhook.test",
        status: "failed",
        attempts: 6,
        lastStatusCode: 500,
        lastError: "HTTP 500",
        createdAt: "2031-01-02T10:00:00Z",
        lastAttemptAt: "2031-01-02T12:00:00Z",
        deliveredAt: null,
        nextAttemptAt: null,
      },
      {
        id: "d1",
        eventId: "e1",
        eventType: "api_key.created",
        status: "delivered",
        attempts: 1,
        lastStatusCode: 204,
        lastError: null,
        createdAt: "2031-01-01T10:00:00Z",
        lastAttemptAt: "2031-01-01T10:00:01Z",
        deliveredAt: "2031-01-01T10:00:01Z",
        nextAttemptAt: null,
      },
    ];
    GET.mockReturnValue(answer(200, { items: deliveries, total: 2, limit: 25, offset: 0 }));
    renderWithProviders(
      <DeliveriesDialog orgId="o1" webhook={hook} onClose={vi.fn()} onSendTest={vi.fn()} sending={false} />,
    );
    expect(await screen.findByText("Delivered")).toBeInTheDocument();
    expect(screen.getByText("Failed")).toBeInTheDocument();
    expect(screen.getByText("Key created")).toBeInTheDocument();
    expect(screen.getByText("Test")).toBeInTheDocument();
    expect(screen.getByText("HTTP 204")).toBeInTheDocument();
    expect(screen.getByText("HTTP 500")).toBeInTheDocument();
    expect(screen.getByText("2 deliveries in total")).toBeInTheDocument();
    expect(GET).toHaveBeenCalledWith("/api/v1/organizations/{orgId}/webhooks/{webhookId}/deliveries", {
      params: { path: { orgId: "o1", webhookId: "w1" }, query: { limit: 25, offset: 0 } },
      signal: expect.any(AbortSignal) as AbortSignal,
    });
  });
});
