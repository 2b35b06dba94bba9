import { describe, expect, it } from "vitest";
import { dayLabel, usageSeries } from "./usage";

const NOW = new Date("2031-03-10T15:00:00Z");

describe("usageSeries (the usage chart's data)", () => {
  it("has one point per UTC day of the span, ending today, missing days at zero", () => {
    const { points, succeeded, refused } = usageSeries(
      [
        { date: "2031-03-10", succeeded: 5, refused: 1 },
        { date: "2031-03-08", succeeded: 2, refused: 0 },
      ],
      30,
      NOW,
      "en-US",
    );
    expect(points).toHaveLength(30);
    expect(points[0]?.date).toBe("2031-02-09");
    expect(points.at(-1)).toEqual({ date: "2031-03-10", label: "Mar 10", succeeded: 5, refused: 1 });
    expect(points.at(-3)).toEqual({ date: "2031-03-08", label: "Mar 8", succeeded: 2, refused: 0 });
    expect(points.at(-2)).toEqual({ date: "2031-03-09", label: "Mar 9", succeeded: 0, refused: 0 });
    expect([succeeded, refused]).toEqual([7, 1]);
  });

  it("is all zeros for a key never used", () => {
    const s = usageSeries([], 7, NOW, "en-US");
    expect(s.points.map((p) => p.date)).toEqual([
      "2031-03-04",
      "2031-03-05",
      "2031-03-06",
      "2031-03-07",
      "2031-03-08",
      "2031-03-09",
      "2031-03-10",
    ]);
    expect(s.points.every((p) => p.succeeded === 0 && p.refused === 0)).toBe(true);
    expect([s.succeeded, s.refused]).toEqual([0, 0]);
  });

  it("follows the server when its day is already tomorrow, and leaves out older days", () => {
    const s = usageSeries(
      [
        { date: "2031-03-11", succeeded: 1, refused: 0 },
        { date: "2031-01-01", succeeded: 100, refused: 100 },
      ],
      3,
      NOW,
      "en-US",
    );
    expect(s.points.map((p) => p.date)).toEqual(["2031-03-09", "2031-03-10", "2031-03-11"]);
    expect([s.succeeded, s.refused]).toEqual([1, 0]);
  });

  it("ignores malformed entries and adds up repeated days", () => {
    const s = usageSeries(
      [
        { date: "yesterday", succeeded: 9, refused: 9 },
        { date: "2031-03-10", succeeded: 2, refused: -4 },
        { date: "2031-03-10T00:00:00Z", succeeded: 3, refused: 1 },
      ],
      2,
      NOW,
      "en-US",
    );
    expect(s.points.at(-1)).toMatchObject({ date: "2031-03-10", succeeded: 5, refused: 1 });
    expect([s.succeeded, s.refused]).toEqual([5, 1]);
  });

  it("labels days in the user's locale, in UTC", () => {
    expect(dayLabel("2031-03-01", "en-US")).toBe("Mar 1");
    expect(dayLabel("2031-03-01", "de-DE")).toBe("1. März");
    expect(dayLabel("not a date", "en-US")).toBe("not a date");
  });
});
