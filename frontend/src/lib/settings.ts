/** Organization settings: the expiry warning period (days before expiry a key is "expiring"). */
export const WARNING_DAYS_MIN = 1;
export const WARNING_DAYS_MAX = 365;

export function parseWarningDays(text: string): { days: number } | { error: string } {
  const t = text.trim();
  if (t === "") return { error: "Enter a number of days." };
  if (!/^\d+$/.test(t)) return { error: `Enter a whole number of days from ${WARNING_DAYS_MIN} to ${WARNING_DAYS_MAX}.` };
  const days = Number(t);
  if (days < WARNING_DAYS_MIN || days > WARNING_DAYS_MAX) {
    return { error: `Enter a whole number of days from ${WARNING_DAYS_MIN} to ${WARNING_DAYS_MAX}.` };
  }
  return { days };
}
