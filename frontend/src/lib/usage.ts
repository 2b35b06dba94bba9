/**
 * A key's daily usage (`GET .../api-keys/{keyId}/usage?days=N`) as chart data: one point per
 * UTC day for the last N days, the days the API leaves out counted as zero.
 */
import type { UsageDay } from "../api/types";
import { userLocale } from "./dates";

/** The span of View information's usage chart. */
export const USAGE_DAYS = 30;

export interface UsagePoint {
  /** YYYY-MM-DD (UTC). */
  date: string;
  /** Short label for the axis, e.g. "Nov 3". */
  label: string;
  succeeded: number;
  refused: number;
}

export interface UsageSeries {
  points: UsagePoint[];
  succeeded: number;
  refused: number;
}

const DAY_MS = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayMs(iso: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) ? null : ms;
}

function count(n: unknown): number {
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

export function dayLabel(date: string, locale = userLocale()): string {
  const ms = dayMs(date);
  if (ms === null) return date;
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", timeZone: "UTC" }).format(ms);
}

/**
 * `span` consecutive days ending today (UTC), or on the API's latest day if that is later
 * (the server's clock has the last word), each with its counts; totals over the span.
 */
export function usageSeries(
  days: readonly UsageDay[],
  span: number,
  now: Date = new Date(),
  locale = userLocale(),
): UsageSeries {
  const byDay = new Map<string, { succeeded: number; refused: number }>();
  let end = dayMs(now.toISOString()) ?? 0;
  for (const d of days) {
    const ms = dayMs(d.date);
    if (ms === null) continue;
    const key = isoDay(ms);
    const prev = byDay.get(key) ?? { succeeded: 0, refused: 0 };
    byDay.set(key, { succeeded: prev.succeeded + count(d.succeeded), refused: prev.refused + count(d.refused) });
    if (ms > end) end = ms;
  }
  const points: UsagePoint[] = [];
  let succeeded = 0;
  let refused = 0;
  for (let i = Math.max(1, span) - 1; i >= 0; i--) {
    const date = isoDay(end - i * DAY_MS);
    const c = byDay.get(date) ?? { succeeded: 0, refused: 0 };
    succeeded += c.succeeded;
    refused += c.refused;
    points.push({ date, label: dayLabel(date, locale), ...c });
  }
  return { points, succeeded, refused };
}
