import dayjs from "dayjs";
import { describe, expect, it } from "vitest";
import {
  checkExpiration,
  expirationMessage,
  formatDate,
  localeDateFormat,
  parseIsoDate,
} from "./dates";

describe("dates", () => {
  it("parses a calendar date without shifting it by the time zone", () => {
    const d = parseIsoDate("2030-12-31");
    expect(d?.getFullYear()).toBe(2030);
    expect(d?.getMonth()).toBe(11);
    expect(d?.getDate()).toBe(31);
    expect(parseIsoDate("31/12/2030")).toBeNull();
  });

  it("shows dates in the given locale", () => {
    expect(formatDate("2030-12-31", "en-US")).toBe("Dec 31, 2030");
    expect(formatDate("2030-12-31", "de-DE")).toBe("31.12.2030");
    expect(formatDate(null)).toBe("");
  });

  it("derives the picker's field format from the locale", () => {
    expect(localeDateFormat("en-US")).toBe("MM/DD/YYYY");
    expect(localeDateFormat("en-GB")).toBe("DD/MM/YYYY");
    expect(localeDateFormat("de-DE")).toBe("DD.MM.YYYY");
    expect(localeDateFormat("sv-SE")).toBe("YYYY-MM-DD");
  });

  it("accepts today up to the maximum lifetime, refuses the rest", () => {
    const today = dayjs("2030-01-10T15:00:00");
    expect(checkExpiration(null, 730, today)).toBe("required");
    expect(checkExpiration(dayjs("invalid"), 730, today)).toBe("invalid");
    expect(checkExpiration(dayjs("2030-01-09"), 730, today)).toBe("past");
    expect(checkExpiration(dayjs("2030-01-10"), 730, today)).toBeNull();
    expect(checkExpiration(today.add(730, "day"), 730, today)).toBeNull();
    expect(checkExpiration(today.add(731, "day"), 730, today)).toBe("tooFar");
    expect(expirationMessage("tooFar", 730, "en-US", today)).toContain("730 days");
    expect(expirationMessage("tooFar", 730, "en-US", today)).toContain("Jan 10, 2032");
  });
});
