/** Readable text for audit events (never HTML). */
import { KIND_LABELS } from "./labels";

const ACTIONS: Record<string, string> = {
  "api_key.created": "API key created",
  "api_key.deleted": "API key deleted",
  "api_key.rolled": "API key rolled",
  "webhook.created": "Webhook added",
  "webhook.updated": "Webhook changed",
  "webhook.deleted": "Webhook deleted",
  "organization.settings_changed": "Settings changed",
  "resource.created": "Resource created",
  "resource.updated": "Resource changed",
  "resource.deleted": "Resource deleted",
  "resource.permissions_changed": "Permissions changed",
  "member.role_changed": "Member role changed",
  "member.removed": "Member removed",
  "auth.login": "Logged in",
  "auth.login_failed": "Login failed",
  "auth.logout": "Logged out",
  "access.denied": "Access denied",
};

function humanize(key: string): string {
  const words = key
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[._]/g, " ")
    .toLowerCase()
    .replace(/\bapi\b/g, "API");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function actionLabel(action: string): string {
  return ACTIONS[action] ?? humanize(action);
}

export function targetTypeLabel(type: string): string {
  const kind = (KIND_LABELS as Record<string, { singular: string } | undefined>)[type];
  if (kind) return kind.singular;
  if (type === "apiKey" || type === "api_key") return "API key";
  return humanize(type);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function refText(v: unknown): string {
  if (isRecord(v) && typeof v.name === "string") {
    return typeof v.kind === "string" ? `${v.name} (${targetTypeLabel(v.kind).toLowerCase()})` : v.name;
  }
  return describeValue(v);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.length ? value.map(refText).join(", ") : "none";
  if (isRecord(value)) {
    // A list summary: {count, items, truncated}.
    if (typeof value.count === "number" && Array.isArray(value.items)) {
      const shown = value.items.map(refText).join(", ");
      const more = value.count - value.items.length;
      return more > 0 ? `${shown} and ${more} more` : shown || String(value.count);
    }
    if (typeof value.name === "string") return refText(value);
    return JSON.stringify(value);
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

/** "Role: editor · Recipient: Eddie Editor · Transferred: Roads (project)"; empty parts omitted. */
export function describeDetails(details: unknown): string {
  if (details === null || details === undefined) return "";
  if (!isRecord(details)) return describeValue(details);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(details)) {
    if (value === null || value === undefined) continue;
    if (isRecord(value) && value.count === 0) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    parts.push(`${humanize(key)}: ${describeValue(value)}`);
  }
  return parts.join(" · ");
}
