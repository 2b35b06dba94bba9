import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { ListSource } from "../api/queries";
import type { ListQuery } from "../api/types";

export type { ListSource, Page } from "../api/queries";

export interface ServerList<T> {
  rows: T[];
  total: number;
  /** A page is on its way (the first one, the next one, or a refresh). */
  loading: boolean;
  /** The failure of the current query once it has settled; null while it loads. */
  error: unknown;
  /** Asks again (the Retry button). */
  retry: () => void;
}

/**
 * One page of a server-side list, through TanStack Query: cached under `source.key(query)`.
 * When the query changes, the previous page stays on screen until the new one arrives, and the
 * superseded request is aborted (its `signal` goes to openapi-fetch), so its answer is never shown.
 */
export function useServerList<T>(
  source: ListSource<T>,
  query: ListQuery,
  options: {
    /** Ask again every so many ms while the page on screen calls for it (e.g. work in progress). */
    refetchInterval?: (items: readonly T[]) => number | false;
  } = {},
): ServerList<T> {
  const { refetchInterval } = options;
  const result = useQuery({
    queryKey: source.key(query),
    queryFn: ({ signal }) => source.load(query, signal),
    placeholderData: keepPreviousData,
    refetchInterval: refetchInterval ? (q) => refetchInterval(q.state.data?.items ?? []) : undefined,
  });
  const { data, isFetching, refetch } = result;
  const error = isFetching ? null : result.error;
  return {
    rows: error ? [] : (data?.items ?? []),
    total: data?.total ?? 0,
    loading: isFetching,
    error,
    retry: () => {
      void refetch();
    },
  };
}
