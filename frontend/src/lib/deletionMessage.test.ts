import { describe, expect, it } from "vitest";
import { deletionMessage } from "./deletionMessage";
import { summarizeRefs } from "./labels";

const ref = (kind: "projects" | "layers" | "datasources" | "tables", name: string) => ({ kind, id: name, name });

describe("deletionMessage", () => {
  it("says a key without resources was deleted", () => {
    expect(
      deletionMessage("CI", { recipient: null, transferred: [], released: [], deleted: [] }),
    ).toBe('API key "CI" deleted.');
  });

  it("says what was transferred, to whom, and what was deleted or released", () => {
    const msg = deletionMessage("Sync", {
      recipient: { id: "m1", name: "Eddie Editor", email: "eddie@x", role: "editor" },
      transferred: [ref("projects", "A"), ref("projects", "B"), ref("datasources", "C")],
      released: [ref("layers", "L")],
      deleted: [],
    });
    expect(msg).toBe(
      'API key "Sync" deleted. 1 data source, 2 projects transferred to Eddie Editor. Removed from the owners of 1 layer.',
    );
    expect(
      deletionMessage("X", { recipient: null, transferred: [], released: [], deleted: [ref("tables", "T")] }),
    ).toContain("1 table permanently deleted.");
  });

  it("summarises by kind", () => {
    expect(summarizeRefs([ref("layers", "a"), ref("tables", "b"), ref("layers", "c")])).toBe("2 layers, 1 table");
  });
});
