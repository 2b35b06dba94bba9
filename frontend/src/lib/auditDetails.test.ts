import { describe, expect, it } from "vitest";
import { actionLabel, describeDetails, targetTypeLabel } from "./auditDetails";

describe("audit details", () => {
  it("describes a key deletion with its transfer", () => {
    expect(
      describeDetails({
        role: "editor",
        recipient: { id: "m", name: "Eddie Editor", email: "eddie@x" },
        transferred: {
          count: 3,
          items: [
            { kind: "projects", id: "p", name: "Roads" },
            { kind: "datasources", id: "d", name: "OSM" },
          ],
          truncated: true,
        },
        released: { count: 0, items: [], truncated: false },
        deleted: { count: 0, items: [], truncated: false },
      }),
    ).toBe("Role: editor · Recipient: Eddie Editor · Transferred: Roads (project), OSM (data source) and 1 more");
  });

  it("copes with empty or odd details", () => {
    expect(describeDetails(null)).toBe("");
    expect(describeDetails({})).toBe("");
    expect(describeDetails({ recipient: null, n: 3, ok: true, x: { a: 1 } })).toBe('N: 3 · Ok: true · X: {"a":1}');
  });

  it("names actions and targets", () => {
    expect(actionLabel("api_key.deleted")).toBe("API key deleted");
    expect(actionLabel("widget.frobbed")).toBe("Widget frobbed");
    expect(targetTypeLabel("datasources")).toBe("Data source");
    expect(targetTypeLabel("apiKey")).toBe("API key");
  });
});
