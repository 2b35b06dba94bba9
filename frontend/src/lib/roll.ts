/** Rolling a key: the overlap during which the old secret keeps working, and the request body. */
import type { Dayjs } from "dayjs";
import type { ApiKeyRoll } from "../api/types";

export const MAX_OVERLAP_HOURS = 72;

/** The overlap typed by the user as a whole number of hours 0–72, or an error message. */
export function parseOverlap(text: string): { hours: number } | { error: string } {
  const t = text.trim();
  if (t === "") return { error: "Enter a number of hours (0 stops the old secret now)." };
  if (!/^\d+$/.test(t)) return { error: `Enter a whole number of hours from 0 to ${MAX_OVERLAP_HOURS}.` };
  const hours = Number(t);
  if (hours > MAX_OVERLAP_HOURS) return { error: `At most ${MAX_OVERLAP_HOURS} hours.` };
  return { hours };
}

export function rollBody(overlapHours: number, expiration: Dayjs | null): ApiKeyRoll {
  const body: ApiKeyRoll = { overlapHours };
  if (expiration) body.expirationDate = expiration.format("YYYY-MM-DD");
  return body;
}

/** What happens to the old secret, in words, for the dialog. */
export function overlapSentence(hours: number): string {
  if (hours === 0) return "The current secret stops working as soon as you roll the key.";
  return `The current secret keeps working for ${hours} more ${hours === 1 ? "hour" : "hours"}, then stops.`;
}
