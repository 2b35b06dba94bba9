import { describe, expect, it } from "vitest";
import { parseWarningDays } from "./settings";

describe("the expiry warning setting", () => {
  it("is a whole number of days from 1 to 365", () => {
    expect(parseWarningDays("14")).toEqual({ days: 14 });
    expect(parseWarningDays("365")).toEqual({ days: 365 });
    expect(parseWarningDays("0")).toHaveProperty("error");
    expect(parseWarningDays("366")).toHaveProperty("error");
    expect(parseWarningDays("7.5")).toHaveProperty("error");
    expect(parseWarningDays("")).toEqual({ error: "Enter a number of days." });
  });
});
