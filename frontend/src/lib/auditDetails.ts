/** A readable one-liner for an audit event's free-form details (never HTML). */
export function describeDetails(details: unknown): string {
  if (details === null || details === undefined) return "";
  if (typeof details !== "object") return describeValue(details);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    parts.push(`${humanize(key)}: ${describeValue(value)}`);
  }
  return parts.join(" · ");
}

function humanize(key: string): string {
  const words = key.replace(/([a-z])([A-Z])/g, "$1 $2").replace(/_/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) {
    if (value.length === 0) return "none";
    return value.map(describeValue).join(", ");
  }
  if (typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.name === "string") {
      return typeof o.kind === "string" ? `${o.name} (${o.kind})` : o.name;
    }
    return JSON.stringify(value);
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}
