/** A key's status (SPEC §2 "Expiry", issue 6): labels, chip colours and the expiry banner. */
import type { GridFilterModel } from "@mui/x-data-grid";
import type { KeyStatus, KeySummary } from "../api/types";

export const KEY_STATUSES = ["active", "expiring", "expired"] as const satisfies readonly KeyStatus[];

const LABELS: Record<KeyStatus, string> = {
  active: "Active",
  expiring: "Expiring soon",
  expired: "Expired",
};

/** The colour of a status chip: expired red, expiring orange, active green. */
export type StatusColor = "success" | "warning" | "error" | "default";

export function keyStatusLabel(status: string): string {
  return (LABELS as Record<string, string | undefined>)[status] ?? status;
}

export function keyStatusColor(status: string): StatusColor {
  switch (status) {
    case "active":
      return "success";
    case "expiring":
      return "warning";
    case "expired":
      return "error";
    default:
      return "default";
  }
}

/** The Status column's filter choices, in the order the API documents them. */
export const KEY_STATUS_OPTIONS = KEY_STATUSES.map((value) => ({ value, label: LABELS[value] }));

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/**
 * The banner above the keys table: "2 keys expire within 14 days; 1 key has expired".
 * Null when there is nothing to warn about (the banner is hidden).
 */
export function expiryBannerText(summary: Pick<KeySummary, "expiring" | "expired" | "warningDays">): string | null {
  const parts: string[] = [];
  if (summary.expiring > 0) {
    parts.push(
      `${plural(summary.expiring, "key expires", "keys expire")} within ${plural(summary.warningDays, "day", "days")}`,
    );
  }
  if (summary.expired > 0) {
    parts.push(`${plural(summary.expired, "key has", "keys have")} expired`);
  }
  return parts.length ? parts.join("; ") : null;
}

/** The statuses the banner's button shows: those with at least one key. */
export function bannerStatuses(summary: Pick<KeySummary, "expiring" | "expired">): KeyStatus[] {
  const out: KeyStatus[] = [];
  if (summary.expiring > 0) out.push("expiring");
  if (summary.expired > 0) out.push("expired");
  return out;
}

/** The grid filter the banner's button applies: Status is (any of) the statuses it names. */
export function statusFilterModel(statuses: readonly KeyStatus[]): GridFilterModel {
  if (statuses.length === 1) {
    return { items: [{ id: "status", field: "status", operator: "is", value: statuses[0] }] };
  }
  return { items: [{ id: "status", field: "status", operator: "isAnyOf", value: [...statuses] }] };
}
