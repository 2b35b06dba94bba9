import { act, renderHook, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api/problem";
import { shouldRetry } from "../api/queryClient";
import type { ListQuery } from "../api/types";
import { createTestQueryClient, queryWrapper } from "../test/utils";
import { useServerList, type ListSource, type Page } from "./useServerList";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A list whose every request waits until the test answers it (by offset). */
function controlledSource() {
  const pending = new Map<number, ReturnType<typeof deferred<Page<string>>>>();
  const signals: AbortSignal[] = [];
  const load = vi.fn((q: ListQuery, signal: AbortSignal) => {
    signals.push(signal);
    const d = deferred<Page<string>>();
    pending.set(q.offset, d);
    return d.promise;
  });
  const source: ListSource<string> = { key: (q) => ["things", "o1", q], load };
  return { source, load, pending, signals };
}

function renderList(source: ListSource<string>, q: ListQuery) {
  const client = createTestQueryClient();
  const hook = renderHook(({ query }) => useServerList(source, query), {
    initialProps: { query: q },
    wrapper: queryWrapper(client),
  });
  return { ...hook, client };
}

const first = { limit: 25, offset: 0 };
const second = { limit: 25, offset: 25 };

describe("useServerList", () => {
  it("never shows the answer to a superseded query, and aborts its request", async () => {
    const { source, pending, signals } = controlledSource();
    const { result, rerender } = renderList(source, first);
    expect(result.current.loading).toBe(true);
    await waitFor(() => {
      expect(pending.has(0)).toBe(true);
    });
    rerender({ query: second });
    await waitFor(() => {
      expect(signals[0]?.aborted).toBe(true);
    });

    await act(async () => {
      pending.get(25)?.resolve({ items: ["second page"], total: 30 });
      await Promise.resolve();
    });
    await waitFor(() => {
      expect(result.current.rows).toEqual(["second page"]);
    });
    // The first request answers late (as a server ignoring the abort would): never shown.
    await act(async () => {
      pending.get(0)?.resolve({ items: ["first page"], total: 30 });
      await new Promise((r) => setTimeout(r, 10));
    });
    expect(result.current.rows).toEqual(["second page"]);
    expect(result.current.loading).toBe(false);
    expect(result.current.total).toBe(30);
  });

  it("keeps the previous page on screen while the next one loads", async () => {
    const { source, pending } = controlledSource();
    const { result, rerender } = renderList(source, first);
    await waitFor(() => {
      expect(pending.has(0)).toBe(true);
    });
    await act(async () => {
      pending.get(0)?.resolve({ items: ["a", "b"], total: 30 });
      await Promise.resolve();
    });
    await waitFor(() => {
      expect(result.current.loading).toBe(false);
    });

    rerender({ query: second });
    expect(result.current.rows).toEqual(["a", "b"]);
    expect(result.current.total).toBe(30);
    expect(result.current.loading).toBe(true);
    await waitFor(() => {
      expect(pending.has(25)).toBe(true);
    });
    await act(async () => {
      pending.get(25)?.resolve({ items: ["z"], total: 30 });
      await Promise.resolve();
    });
    await waitFor(() => {
      expect(result.current.rows).toEqual(["z"]);
    });
    expect(result.current.loading).toBe(false);
  });

  it("reports errors for the current query only, and Retry asks again", async () => {
    const load = vi
      .fn<ListSource<string>["load"]>()
      .mockRejectedValueOnce(new ApiError(503, { code: "unavailable" }))
      .mockResolvedValueOnce({ items: ["back"], total: 1 });
    const { result } = renderList({ key: (q) => ["things", "o1", q], load }, first);
    await waitFor(() => {
      expect(result.current.error).toBeInstanceOf(ApiError);
    });
    expect(result.current.loading).toBe(false);
    expect(result.current.rows).toEqual([]);

    act(() => {
      result.current.retry();
    });
    await waitFor(() => {
      expect(result.current.rows).toEqual(["back"]);
    });
    expect(result.current.error).toBeNull();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("reloads when its list is invalidated (after a write), keeping the rows meanwhile", async () => {
    const load = vi
      .fn<ListSource<string>["load"]>()
      .mockResolvedValueOnce({ items: ["old"], total: 1 })
      .mockResolvedValueOnce({ items: ["old", "new"], total: 2 });
    const { result, client } = renderList({ key: (q) => ["things", "o1", q], load }, first);
    await waitFor(() => {
      expect(result.current.rows).toEqual(["old"]);
    });
    act(() => {
      void client.invalidateQueries({ queryKey: ["things", "o1"] });
    });
    expect(result.current.rows).toEqual(["old"]);
    await waitFor(() => {
      expect(result.current.rows).toEqual(["old", "new"]);
    });
    expect(result.current.total).toBe(2);
  });
});

describe("query retries", () => {
  it("never retries a 4xx answer, retries other failures twice", () => {
    expect(shouldRetry(0, new ApiError(400, { code: "invalid_query" }))).toBe(false);
    expect(shouldRetry(0, new ApiError(404, {}))).toBe(false);
    expect(shouldRetry(0, new ApiError(503, {}))).toBe(true);
    expect(shouldRetry(0, new TypeError("Failed to fetch"))).toBe(true);
    expect(shouldRetry(2, new TypeError("Failed to fetch"))).toBe(false);
  });
});
