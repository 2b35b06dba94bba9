import { describe, expect, it } from "vitest";
import { describeDetails } from "./auditDetails";

describe("describeDetails", () => {
  it("turns details into a readable line", () => {
    expect(
      describeDetails({
        recipient: { id: "m", name: "Eddie Editor" },
        transferred: [{ kind: "projects", id: "p", name: "Roads" }],
        deleted: [],
        role: "editor",
      }),
    ).toBe("Recipient: Eddie Editor · Transferred: Roads (projects) · Deleted: none · Role: editor");
  });

  it("copes with empty or odd details", () => {
    expect(describeDetails(null)).toBe("");
    expect(describeDetails({})).toBe("");
    expect(describeDetails({ n: 3, ok: true, x: { a: 1 } })).toBe('N: 3 · Ok: true · X: {"a":1}');
  });
});
