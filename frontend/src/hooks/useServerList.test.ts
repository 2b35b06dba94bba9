import { act, renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ListQuery } from "../api/types";
import { useServerList, type Page } from "./useServerList";

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("useServerList", () => {
  it("never shows the answer to a superseded query", async () => {
    const pending = new Map<number, ReturnType<typeof deferred<Page<string>>>>();
    const signals: AbortSignal[] = [];
    const load = (q: ListQuery, signal: AbortSignal) => {
      signals.push(signal);
      const d = deferred<Page<string>>();
      pending.set(q.offset, d);
      return d.promise;
    };
    const { result, rerender } = renderHook(({ q }) => useServerList(load, q), {
      initialProps: { q: { limit: 25, offset: 0 } },
    });
    expect(result.current.loading).toBe(true);
    rerender({ q: { limit: 25, offset: 25 } });
    expect(signals[0]?.aborted).toBe(true);

    await act(async () => {
      pending.get(25)?.resolve({ items: ["second page"], total: 30 });
      await Promise.resolve();
    });
    await waitFor(() => {
      expect(result.current.rows).toEqual(["second page"]);
    });
    await act(async () => {
      pending.get(0)?.resolve({ items: ["first page"], total: 30 });
      await Promise.resolve();
    });
    expect(result.current.rows).toEqual(["second page"]);
    expect(result.current.loading).toBe(false);
    expect(result.current.total).toBe(30);
  });

  it("reports errors for the current query only", async () => {
    const load = () => Promise.reject(new Error("boom"));
    const { result } = renderHook(() => useServerList(load, { limit: 25, offset: 0 }));
    await waitFor(() => {
      expect(result.current.error).toBeInstanceOf(Error);
    });
    expect(result.current.loading).toBe(false);
    expect(result.current.rows).toEqual([]);
  });
});
