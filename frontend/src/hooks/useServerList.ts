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

interface Loaded<T> {
  rows: T[];
  total: number;
  error: unknown;
  /** The request these rows answer. */
  for: string | null;
}

/**
 * Loads one page of a server-side list whenever the query (or `reloadToken`) changes. Answers to
 * superseded queries are dropped (their requests aborted), so fast clicking never shows stale
 * rows; while a new page loads, the previous one stays on screen.
 */
export function useServerList<T>(
  load: (query: ListQuery, signal: AbortSignal) => Promise<Page<T>>,
  query: ListQuery,
  reloadToken = 0,
): ServerList<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ rows: [], total: 0, error: null, for: null });
  const key = JSON.stringify(query);
  const request = `${key}#${String(reloadToken)}`;

  useEffect(() => {
    const controller = new AbortController();
    load(JSON.parse(key) as ListQuery, controller.signal).then(
      (page) => {
        if (!controller.signal.aborted) {
          setLoaded({ rows: page.items, total: page.total, error: null, for: request });
        }
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setLoaded((s) => ({ ...s, rows: [], error, for: request }));
        }
      },
    );
    return () => {
      controller.abort();
    };
  }, [load, key, request]);

  return {
    rows: loaded.rows,
    total: loaded.total,
    loading: loaded.for !== request,
    error: loaded.for === request ? loaded.error : null,
  };
}
