/** Webhooks: the events one can subscribe to, and how deliveries read. */
import type { WebhookEvent } from "../api/types";
import type { StatusColor } from "./keyStatus";

export const WEBHOOK_EVENTS = [
  { value: "api_key.created", label: "Key created", description: "A key was added." },
  { value: "api_key.rolled", label: "Key rolled", description: "A key's secret was replaced." },
  { value: "api_key.expiring", label: "Key expiring", description: "A key entered its expiry warning period." },
  { value: "api_key.expired", label: "Key expired", description: "A key reached its expiration date." },
  { value: "api_key.deleted", label: "Key deleted", description: "A key was deleted." },
] as const satisfies readonly { value: WebhookEvent; label: string; description: string }[];

export const ALL_EVENTS: WebhookEvent[] = WEBHOOK_EVENTS.map((e) => e.value);

export function eventLabel(event: string): string {
  const known = WEBHOOK_EVENTS.find((e) => e.value === event);
  if (known) return known.label;
  if (event === "webhook.test" || event === "test" || event === "ping") return "Test";
  return event;
}

export function deliveryStatusLabel(status: string): string {
  switch (status) {
    case "pending":
      return "Pending";
    case "delivered":
      return "Delivered";
    case "failed":
      return "Failed";
    default:
      return status;
  }
}

export function deliveryStatusColor(status: string | null | undefined): StatusColor {
  switch (status) {
    case "delivered":
      return "success";
    case "pending":
      return "warning";
    case "failed":
      return "error";
    default:
      return "default";
  }
}

export type UrlProblem = "required" | "invalid" | "scheme" | "insecure" | "credentials" | null;

/** 127.0.0.0/8, ::1 and localhost: the only hosts plain http:// may name (for local testing). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host === "::1") return true;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return m !== null && m[1] === "127" && m.slice(2).every((p) => Number(p) <= 255);
}

/**
 * A first check of a webhook URL in the browser, with the server's rules (https:// anywhere,
 * http:// to a loopback address only, no credentials); the server has the last word.
 */
export function checkWebhookUrl(value: string): UrlProblem {
  const text = value.trim();
  if (!text) return "required";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "invalid";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "scheme";
  if (!url.hostname) return "invalid";
  if (url.username || url.password) return "credentials";
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) return "insecure";
  return null;
}

export function urlMessage(problem: UrlProblem): string {
  switch (problem) {
    case "required":
      return "Enter the URL that receives the events.";
    case "invalid":
      return "Enter a full URL, such as https://example.com/hooks/keyhouse.";
    case "scheme":
      return "The URL must start with https://.";
    case "insecure":
      return "Use https:// (plain http:// is allowed only for 127.0.0.1, ::1 or localhost).";
    case "credentials":
      return "The URL must not contain a user name or password.";
    default:
      return "";
  }
}
