/**
 * Dates in the portal: shown in the user's locale, sent to the API as ISO strings.
 * `expirationDate` is a calendar date (YYYY-MM-DD, no time zone); creation/last-used dates are
 * instants (ISO date-times).
 */
import dayjs, { type Dayjs } from "dayjs";

export function userLocale(): string | undefined {
  return typeof navigator !== "undefined" ? navigator.language : undefined;
}

/** Parses `YYYY-MM-DD` as that calendar day (never shifted by the time zone). */
export function parseIsoDate(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.slice(0, 10));
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDate(value: string | null | undefined, locale = userLocale()): string {
  if (!value) return "";
  const d = parseIsoDate(value);
  if (!d) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(d);
}

export function formatDateTime(value: string | null | undefined, locale = userLocale()): string {
  if (!value) return "";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return value;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/**
 * The dayjs format of a numeric date in the user's locale, for the date picker's field
 * (e.g. "MM/DD/YYYY" in en-US, "DD/MM/YYYY" in en-GB, "DD.MM.YYYY" in de-DE).
 */
export function localeDateFormat(locale = userLocale()): string {
  const parts = new Intl.DateTimeFormat(locale, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(new Date(2001, 10, 22));
  let format = "";
  for (const part of parts) {
    if (part.type === "year") format += "YYYY";
    else if (part.type === "month") format += "MM";
    else if (part.type === "day") format += "DD";
    else if (part.type === "literal") format += part.value.replace(/[A-Za-z[\]]/g, "");
  }
  return /YYYY/.test(format) && /MM/.test(format) && /DD/.test(format) ? format : "YYYY-MM-DD";
}

/**
 * The dates a new key may expire on: from today up to `maxLifetimeDays` ahead. The API checks
 * against today in UTC; the picker offers the user's today, and the server has the last word.
 */
export function expirationBounds(maxLifetimeDays: number, today: Dayjs = dayjs()) {
  const min = today.startOf("day");
  return { min, max: min.add(maxLifetimeDays, "day") };
}

export type ExpirationProblem = "required" | "invalid" | "past" | "tooFar" | null;

export function checkExpiration(
  value: Dayjs | null,
  maxLifetimeDays: number,
  today: Dayjs = dayjs(),
): ExpirationProblem {
  if (!value) return "required";
  if (!value.isValid()) return "invalid";
  const { min, max } = expirationBounds(maxLifetimeDays, today);
  if (value.isBefore(min, "day")) return "past";
  if (value.isAfter(max, "day")) return "tooFar";
  return null;
}

export function expirationMessage(
  problem: ExpirationProblem,
  maxLifetimeDays: number,
  locale = userLocale(),
  today: Dayjs = dayjs(),
): string {
  const { max } = expirationBounds(maxLifetimeDays, today);
  switch (problem) {
    case "required":
      return "Choose an expiration date.";
    case "invalid":
      return "Enter a valid date.";
    case "past":
      return "The expiration date cannot be in the past.";
    case "tooFar":
      return `A key can live at most ${maxLifetimeDays} days: choose ${formatDate(max.format("YYYY-MM-DD"), locale)} or earlier.`;
    default:
      return "";
  }
}
