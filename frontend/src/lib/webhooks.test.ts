import { describe, expect, it } from "vitest";
import { ALL_EVENTS, checkWebhookUrl, deliveryStatusColor, deliveryStatusLabel, eventLabel, isLoopbackHost } from "./webhooks";

describe("webhook URLs", () => {
  it("accepts https anywhere and plain http only to this machine", () => {
    expect(checkWebhookUrl("https://example.com/hooks?token=a")).toBeNull();
    expect(checkWebhookUrl("http://127.0.0.1:8080/hook")).toBeNull();
    expect(checkWebhookUrl("http://localhost/hook")).toBeNull();
    expect(checkWebhookUrl("http://[::1]:9000/")).toBeNull();
    expect(checkWebhookUrl("http://example.com/hook")).toBe("insecure");
    expect(checkWebhookUrl("http://127.0.0.1.example.com/")).toBe("insecure");
  });

  it("refuses empty, malformed, other schemes and credentials", () => {
    expect(checkWebhookUrl("  ")).toBe("required");
    expect(checkWebhookUrl("example.com/hook")).toBe("invalid");
    expect(checkWebhookUrl("ftp://example.com/")).toBe("scheme");
    expect(checkWebhookUrl("javascript:alert(1)")).toBe("scheme");
    expect(checkWebhookUrl("https://user:pw@example.com/")).toBe("credentials");
  });

  it("knows the loopback hosts", () => {
    expect(isLoopbackHost("127.0.0.1")).toBe(true);
    expect(isLoopbackHost("127.1.2.3")).toBe(true);
    expect(isLoopbackHost("[::1]")).toBe(true);
    expect(isLoopbackHost("LOCALHOST")).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
    expect(isLoopbackHost("127.0.0.300")).toBe(false);
  });
});

describe("webhook events and deliveries", () => {
  it("subscribes to the five key events by default", () => {
    expect(ALL_EVENTS).toEqual([
      "api_key.created",
      "api_key.rolled",
      "api_key.expiring",
      "api_key.expired",
      "api_key.deleted",
    ]);
    expect(eventLabel("api_key.rolled")).toBe("Key rolled");
    expect(eventLabel("webhook.test")).toBe("Test");
    expect(eventLabel("something.new")).toBe("something.new");
  });

  it("labels and colours delivery statuses", () => {
    expect(["pending", "delivered", "failed"].map(deliveryStatusLabel)).toEqual(["Pending", "Delivered", "Failed"]);
    expect(["pending", "delivered", "failed", null].map(deliveryStatusColor)).toEqual([
      "warning",
      "success",
      "error",
      "default",
    ]);
  });
});
