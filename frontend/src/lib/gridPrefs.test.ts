import { describe, expect, it } from "vitest";
import { loadGridPrefs, prefsKey, saveGridPrefs, type GridPrefs } from "./gridPrefs";

const defaults: GridPrefs = {
  columnVisibilityModel: { role: false, status: false },
  sortModel: [],
  filterModel: { items: [] },
  pageSize: 25,
};
const fields = ["title", "role", "status", "expirationDate"];

describe("grid preferences", () => {
  it("returns the defaults when nothing is stored or the value is garbage", () => {
    expect(loadGridPrefs("keys", "u1", defaults, fields)).toEqual(defaults);
    localStorage.setItem(prefsKey("keys", "u1"), "{not json");
    expect(loadGridPrefs("keys", "u1", defaults, fields)).toEqual(defaults);
  });

  it("round-trips per user, reviving date filter values", () => {
    const when = new Date(2031, 4, 6);
    saveGridPrefs("keys", "u1", {
      columnVisibilityModel: { role: true, status: false, title: false },
      sortModel: [{ field: "title", sort: "desc" }],
      filterModel: { items: [{ id: 1, field: "expirationDate", operator: "after", value: when }] },
      pageSize: 50,
    });
    const loaded = loadGridPrefs("keys", "u1", defaults, fields);
    expect(loaded.columnVisibilityModel).toEqual({ role: true, status: false, title: false });
    expect(loaded.sortModel).toEqual([{ field: "title", sort: "desc" }]);
    expect(loaded.pageSize).toBe(50);
    const value = loaded.filterModel.items[0]?.value as unknown;
    expect(value).toBeInstanceOf(Date);
    expect((value as Date).getTime()).toBe(when.getTime());
    // Another user of the same browser keeps the defaults.
    expect(loadGridPrefs("keys", "u2", defaults, fields)).toEqual(defaults);
  });

  it("drops unknown fields and invalid page sizes", () => {
    localStorage.setItem(
      prefsKey("keys", "u1"),
      JSON.stringify({
        columnVisibilityModel: { secret: true, role: true },
        sortModel: [{ field: "nope", sort: "asc" }, { field: "title", sort: "sideways" }],
        filterModel: { items: [{ field: "nope", operator: "is", value: "x" }] },
        pageSize: 1000,
      }),
    );
    const loaded = loadGridPrefs("keys", "u1", defaults, fields);
    expect(loaded.columnVisibilityModel).toEqual({ role: true, status: false });
    expect(loaded.sortModel).toEqual([]);
    expect(loaded.filterModel.items).toEqual([]);
    expect(loaded.pageSize).toBe(25);
  });
});
