import type { DeletionResult } from "../api/types";
import { summarizeRefs } from "./labels";

/** The toast after a deletion: what happened to the key and to what it owned. */
export function deletionMessage(title: string, result: DeletionResult): string {
  const parts = [`API key "${title}" deleted.`];
  if (result.transferred.length > 0) {
    const who = result.recipient ? result.recipient.name || result.recipient.email : "the chosen member";
    parts.push(`${summarizeRefs(result.transferred)} transferred to ${who}.`);
  }
  if (result.deleted.length > 0) {
    parts.push(`${summarizeRefs(result.deleted)} permanently deleted.`);
  }
  if (result.released.length > 0) {
    parts.push(`Removed from the owners of ${summarizeRefs(result.released)}.`);
  }
  return parts.join(" ");
}
