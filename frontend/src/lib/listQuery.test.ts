import { describe, expect, it } from "vitest";
import {
  filterDate,
  filterParams,
  filterValue,
  sortParam,
  toListQuery,
  UNUSED_DAYS,
  unusedFilter,
  withFilters,
} from "./listQuery";

describe("toListQuery", () => {
  it("maps pagination to limit and offset", () => {
    expect(toListQuery({ page: 0, pageSize: 25 })).toEqual({ limit: 25, offset: 0 });
    expect(toListQuery({ page: 3, pageSize: 50 })).toEqual({ limit: 50, offset: 150 });
  });

  it("maps the first sort item, descending with a minus", () => {
    expect(sortParam([{ field: "title", sort: "asc" }])).toBe("title");
    expect(sortParam([{ field: "creationDate", sort: "desc" }])).toBe("-creationDate");
    expect(sortParam([{ field: "title", sort: null }])).toBeUndefined();
    expect(sortParam([])).toBeUndefined();
  });

  it("builds field:operator:value filters, keeping everything after the second colon", () => {
    expect(
      filterParams({ items: [{ field: "title", operator: "contains", value: "ci:deploy" }] }),
    ).toEqual(["title:contains:ci:deploy"]);
  });

  it("formats dates as the calendar day the user picked", () => {
    // What the grid's date input stores for a picked day: new Date("2031-01-05").
    const picked = new Date("2031-01-05");
    expect(filterDate(picked)).toBe("2031-01-05");
    expect(
      filterParams({ items: [{ field: "expirationDate", operator: "onOrAfter", value: picked }] }),
    ).toEqual(["expirationDate:onOrAfter:2031-01-05"]);
    expect(
      filterParams({ items: [{ field: "creationDate", operator: "is", value: "2030-02-03T10:00" }] }),
    ).toEqual(["creationDate:is:2030-02-03"]);
  });

  it("joins isAnyOf values with commas", () => {
    expect(
      filterParams({ items: [{ field: "role", operator: "isAnyOf", value: ["editor", "viewer"] }] }),
    ).toEqual(["role:isAnyOf:editor,viewer"]);
  });

  it("sends valueless operators with an empty value", () => {
    expect(filterParams({ items: [{ field: "lastUsedDate", operator: "isEmpty" }] })).toEqual([
      "lastUsedDate:isEmpty:",
    ]);
  });

  it("skips items that are still incomplete", () => {
    expect(
      filterParams({
        items: [
          { field: "title", operator: "contains" },
          { field: "title", operator: "contains", value: "  " },
          { field: "role", operator: "isAnyOf", value: [] },
          { field: "expirationDate", operator: "is", value: new Date("nope") },
        ],
      }),
    ).toEqual([]);
    expect(filterValue({ field: "title", operator: "equals", value: null })).toBeNull();
  });

  it("combines everything", () => {
    expect(
      toListQuery(
        { page: 1, pageSize: 25 },
        [{ field: "title", sort: "desc" }],
        { items: [{ field: "status", operator: "is", value: "expired" }] },
      ),
    ).toEqual({ limit: 25, offset: 25, sort: "-title", filter: ["status:is:expired"] });
  });
});

describe("the Unused for N+ days quick filter", () => {
  it("is unusedDays:>=:N, and nothing when off", () => {
    expect(unusedFilter(30)).toBe("unusedDays:>=:30");
    expect(unusedFilter(90)).toBe("unusedDays:>=:90");
    expect(unusedFilter(0)).toBeNull();
    expect(unusedFilter(-5)).toBeNull();
    expect(unusedFilter(2.5)).toBeNull();
  });

  it("is ANDed with the grid's own filters, after them, once", () => {
    const grid = toListQuery(
      { page: 1, pageSize: 25 },
      [{ field: "title", sort: "desc" }],
      { items: [{ field: "title", operator: "contains", value: "ci" }] },
    );
    expect(withFilters(grid, [unusedFilter(60)])).toEqual({
      limit: 25,
      offset: 25,
      sort: "-title",
      filter: ["title:contains:ci", "unusedDays:>=:60"],
    });
    expect(withFilters({ limit: 25, offset: 0 }, [unusedFilter(30)])).toEqual({
      limit: 25,
      offset: 0,
      filter: ["unusedDays:>=:30"],
    });
    const twice = withFilters(withFilters(grid, [unusedFilter(30)]), [unusedFilter(30)]);
    expect(twice.filter).toEqual(["title:contains:ci", "unusedDays:>=:30"]);
  });

  it("leaves the query as it is when off (same object: the query key does not change)", () => {
    const q = { limit: 25, offset: 0 };
    expect(withFilters(q, [unusedFilter(0)])).toBe(q);
    expect(UNUSED_DAYS).toEqual([30, 60, 90]);
  });
});
