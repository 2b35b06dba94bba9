/**
 * A user's choices on a data grid (visible columns, sort, filter, page size), remembered in
 * localStorage per user, so they survive reloads and never leak to another user of the browser.
 */
import type {
  GridColumnVisibilityModel,
  GridFilterModel,
  GridSortModel,
} from "@mui/x-data-grid";

export const PAGE_SIZES = [25, 50, 100] as const;

export interface GridPrefs {
  columnVisibilityModel: GridColumnVisibilityModel;
  sortModel: GridSortModel;
  filterModel: GridFilterModel;
  pageSize: number;
}

export function prefsKey(grid: string, userId: string): string {
  return `keyhouse:grid:${grid}:${userId}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads stored prefs over the defaults, ignoring anything malformed or about unknown fields. */
export function loadGridPrefs(
  grid: string,
  userId: string,
  defaults: GridPrefs,
  knownFields: readonly string[],
  storage: Storage = localStorage,
): GridPrefs {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(prefsKey(grid, userId)) ?? "null");
  } catch {
    return defaults;
  }
  if (!isRecord(raw)) return defaults;
  const known = new Set(knownFields);
  const prefs: GridPrefs = { ...defaults };

  if (isRecord(raw.columnVisibilityModel)) {
    const vis: GridColumnVisibilityModel = { ...defaults.columnVisibilityModel };
    for (const [field, shown] of Object.entries(raw.columnVisibilityModel)) {
      if (known.has(field) && typeof shown === "boolean") vis[field] = shown;
    }
    prefs.columnVisibilityModel = vis;
  }
  if (Array.isArray(raw.sortModel)) {
    prefs.sortModel = raw.sortModel.filter(isRecord).flatMap((s) =>
      typeof s.field === "string" && known.has(s.field) && (s.sort === "asc" || s.sort === "desc")
        ? [{ field: s.field, sort: s.sort }]
        : [],
    );
  }
  if (isRecord(raw.filterModel) && Array.isArray(raw.filterModel.items)) {
    const items = raw.filterModel.items.filter(isRecord).flatMap((i) => {
      if (typeof i.field !== "string" || !known.has(i.field) || typeof i.operator !== "string") {
        return [];
      }
      let value: unknown = i.value;
      // Date filters hold Date objects, stored as ISO strings: revive them.
      if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
        const d = new Date(value);
        if (!Number.isNaN(d.getTime())) value = d;
      }
      return [{ id: typeof i.id === "number" || typeof i.id === "string" ? i.id : undefined, field: i.field, operator: i.operator, value }];
    });
    prefs.filterModel = { items };
  }
  if (typeof raw.pageSize === "number" && (PAGE_SIZES as readonly number[]).includes(raw.pageSize)) {
    prefs.pageSize = raw.pageSize;
  }
  return prefs;
}

export function saveGridPrefs(
  grid: string,
  userId: string,
  prefs: GridPrefs,
  storage: Storage = localStorage,
): void {
  try {
    storage.setItem(prefsKey(grid, userId), JSON.stringify(prefs));
  } catch {
    // Storage full or disabled: the choices just won't survive a reload.
  }
}
