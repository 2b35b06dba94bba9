/**
 * Maps the Data Grid's models onto the API's list grammar (SPEC §3 "Lists"):
 *   limit/offset  ← pagination model
 *   sort=field | sort=-field  ← first sort item
 *   filter=field:operator:value (repeatable, AND)  ← filter items
 * The operator names are the Data Grid's own, so they pass through unchanged.
 */
import type {
  GridFilterItem,
  GridFilterModel,
  GridPaginationModel,
  GridSortModel,
} from "@mui/x-data-grid";
import type { ListQuery } from "../api/types";

/** Operators that take no value. */
const VALUELESS = new Set(["isEmpty", "isNotEmpty"]);

/**
 * The calendar date held by a Data Grid date filter. The grid's date input stores the picked day
 * as `new Date("YYYY-MM-DD")`, i.e. midnight UTC, and shows it back with `toISOString()`: so the
 * UTC calendar date is the one the user picked, whatever their time zone.
 */
export function filterDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** The value part of one filter, or null when the item is incomplete (e.g. still being typed). */
export function filterValue(item: GridFilterItem): string | null {
  if (VALUELESS.has(item.operator)) return "";
  const value: unknown = item.value;
  if (value === undefined || value === null) return null;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : filterDate(value);
  }
  if (Array.isArray(value)) {
    const parts = value
      .filter((v): v is string | number => typeof v === "string" || typeof v === "number")
      .map((v) => String(v).trim())
      .filter((v) => v !== "");
    return parts.length ? parts.join(",") : null;
  }
  if (typeof value === "string") {
    // Date inputs may hand over "YYYY-MM-DD" or "YYYY-MM-DDTHH:mm"; the API wants the date.
    if (ISO_DATE.test(value) && /date/i.test(item.field)) return value.slice(0, 10);
    return value.trim() === "" ? null : value;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

export function filterParams(model: GridFilterModel | undefined): string[] {
  const out: string[] = [];
  for (const item of model?.items ?? []) {
    if (!item.field || !item.operator) continue;
    const value = filterValue(item);
    if (value === null) continue;
    out.push(`${item.field}:${item.operator}:${value}`);
  }
  return out;
}

export function sortParam(model: GridSortModel | undefined): string | undefined {
  const first = model?.[0];
  if (!first?.sort) return undefined;
  return first.sort === "desc" ? `-${first.field}` : first.field;
}

export function toListQuery(
  pagination: GridPaginationModel,
  sort?: GridSortModel,
  filter?: GridFilterModel,
): ListQuery {
  const query: ListQuery = {
    limit: pagination.pageSize,
    offset: pagination.page * pagination.pageSize,
  };
  const s = sortParam(sort);
  if (s) query.sort = s;
  const f = filterParams(filter);
  if (f.length) query.filter = f;
  return query;
}

/** The API Keys toolbar's "Unused for N+ days" choices (0: no such filter). */
export const UNUSED_DAYS = [30, 60, 90] as const;

/**
 * `filter=unusedDays:>=:N`: keys not used for at least N days (never-used keys count from their
 * creation, as the API decides). Not a grid column, so it is added beside the grid's own filters.
 */
export function unusedFilter(days: number): string | null {
  return Number.isInteger(days) && days > 0 ? `unusedDays:>=:${days}` : null;
}

/** A list query with extra filters ANDed to the grid's (no duplicate, order kept). */
export function withFilters(query: ListQuery, extra: readonly (string | null)[]): ListQuery {
  const add = extra.filter((f): f is string => f !== null && f !== "");
  if (add.length === 0) return query;
  const filter = [...(query.filter ?? [])];
  for (const f of add) if (!filter.includes(f)) filter.push(f);
  return { ...query, filter };
}
