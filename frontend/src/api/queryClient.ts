/**
 * The portal's one TanStack Query client: server state (lists, the session, previews) lives in
 * its cache, never in component state.
 */
import { QueryClient, type Query } from "@tanstack/react-query";
import { ApiError } from "./problem";
import { queryKeys } from "./queries";

/** How many times a failed read is tried again (network errors and 5xx only). */
const MAX_RETRIES = 2;

/** A 4xx is an answer, not a hiccup: trying again would only repeat it. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < MAX_RETRIES;
}

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: shouldRetry,
        // Coming back to a page within this time shows the cached rows without asking again;
        // writes made from the portal invalidate what they change, whatever its age.
        staleTime: 30_000,
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false },
    },
  });
}

function isKept(query: Query): boolean {
  const [root] = query.queryKey;
  // The session itself (set to null by the caller) and the public portal configuration.
  return root === queryKeys.session[0] || root === queryKeys.config[0];
}

/**
 * Forgets everything read or written for the user who just left (logout, expired session):
 * every organization's lists, previews and any mutation result still held.
 */
export function dropUserData(client: QueryClient): void {
  void client.cancelQueries({ predicate: (q) => !isKept(q) });
  client.removeQueries({ predicate: (q) => !isKept(q) });
  client.getMutationCache().clear();
}
