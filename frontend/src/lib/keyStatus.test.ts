import { describe, expect, it } from "vitest";
import {
  bannerStatuses,
  expiryBannerText,
  KEY_STATUS_OPTIONS,
  keyStatusColor,
  keyStatusLabel,
  statusFilterModel,
} from "./keyStatus";
import { filterParams } from "./listQuery";

describe("key status labels", () => {
  it("names and colours the three statuses (expiring orange, expired red)", () => {
    expect(keyStatusLabel("active")).toBe("Active");
    expect(keyStatusLabel("expiring")).toBe("Expiring soon");
    expect(keyStatusLabel("expired")).toBe("Expired");
    expect(keyStatusColor("active")).toBe("success");
    expect(keyStatusColor("expiring")).toBe("warning");
    expect(keyStatusColor("expired")).toBe("error");
  });

  it("shows an unknown status as it is, uncoloured", () => {
    expect(keyStatusLabel("suspended")).toBe("suspended");
    expect(keyStatusColor("suspended")).toBe("default");
  });

  it("offers the three values to the Status column filter", () => {
    expect(KEY_STATUS_OPTIONS).toEqual([
      { value: "active", label: "Active" },
      { value: "expiring", label: "Expiring soon" },
      { value: "expired", label: "Expired" },
    ]);
  });
});

describe("the expiry banner", () => {
  it("is hidden when no key is expiring or expired", () => {
    expect(expiryBannerText({ expiring: 0, expired: 0, warningDays: 14 })).toBeNull();
    expect(bannerStatuses({ expiring: 0, expired: 0 })).toEqual([]);
  });

  it("counts in words, singular and plural", () => {
    expect(expiryBannerText({ expiring: 2, expired: 3, warningDays: 14 })).toBe(
      "2 keys expire within 14 days; 3 keys have expired",
    );
    expect(expiryBannerText({ expiring: 1, expired: 1, warningDays: 1 })).toBe(
      "1 key expires within 1 day; 1 key has expired",
    );
    expect(expiryBannerText({ expiring: 4, expired: 0, warningDays: 30 })).toBe("4 keys expire within 30 days");
    expect(expiryBannerText({ expiring: 0, expired: 1, warningDays: 30 })).toBe("1 key has expired");
  });

  it("filters the table on the statuses it mentions", () => {
    expect(bannerStatuses({ expiring: 2, expired: 1 })).toEqual(["expiring", "expired"]);
    expect(bannerStatuses({ expiring: 0, expired: 1 })).toEqual(["expired"]);
    expect(filterParams(statusFilterModel(["expiring", "expired"]))).toEqual(["status:isAnyOf:expiring,expired"]);
    expect(filterParams(statusFilterModel(["expiring"]))).toEqual(["status:is:expiring"]);
  });
});
