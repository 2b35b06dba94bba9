import dayjs from "dayjs";
import { describe, expect, it } from "vitest";
import { overlapSentence, parseOverlap, rollBody } from "./roll";

describe("rolling a key", () => {
  it("takes a whole number of overlap hours from 0 to 72", () => {
    expect(parseOverlap("0")).toEqual({ hours: 0 });
    expect(parseOverlap(" 24 ")).toEqual({ hours: 24 });
    expect(parseOverlap("72")).toEqual({ hours: 72 });
    expect(parseOverlap("73")).toEqual({ error: "At most 72 hours." });
    expect(parseOverlap("")).toHaveProperty("error");
    expect(parseOverlap("1.5")).toHaveProperty("error");
    expect(parseOverlap("-1")).toHaveProperty("error");
    expect(parseOverlap("1e2")).toHaveProperty("error");
  });

  it("sends the expiration date only when one is chosen", () => {
    expect(rollBody(0, null)).toEqual({ overlapHours: 0 });
    expect(rollBody(12, dayjs("2031-05-04"))).toEqual({ overlapHours: 12, expirationDate: "2031-05-04" });
  });

  it("says what happens to the current secret", () => {
    expect(overlapSentence(0)).toMatch(/stops working as soon as you roll/);
    expect(overlapSentence(1)).toMatch(/1 more hour,/);
    expect(overlapSentence(48)).toMatch(/48 more hours/);
  });
});
