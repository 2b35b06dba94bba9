import { useEffect, useState } from "react";
import type { ListQuery } from "../api/types";

export interface Page<T> {
  items: T[];
  total: number;
}

export interface ServerList<T> {
  rows: T[];
  total: number;
  loading: boolean;
  error: unknown;
}

/**
 * Loads one page of a server-side list whenever the query (or `reloadToken`) changes. Answers to
 * superseded queries are dropped (their requests aborted), so fast clicking never shows stale rows.
 */
export function useServerList<T>(
  load: (query: ListQuery, signal: AbortSignal) => Promise<Page<T>>,
  query: ListQuery,
  reloadToken: unknown = 0,
): ServerList<T> {
  const [state, setState] = useState<ServerList<T>>({
    rows: [],
    total: 0,
    loading: true,
    error: null,
  });
  const key = JSON.stringify(query);

  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: null }));
    load(JSON.parse(key) as ListQuery, controller.signal).then(
      (page) => {
        if (!controller.signal.aborted) {
          setState({ rows: page.items, total: page.total, loading: false, error: null });
        }
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setState((s) => ({ ...s, rows: [], loading: false, error }));
        }
      },
    );
    return () => {
      controller.abort();
    };
  }, [load, key, reloadToken]);

  return state;
}
