import type { GridColDef } from "@mui/x-data-grid";
import { describe, expect, it } from "vitest";
import { API_OPERATORS, withApiOperators } from "./gridOperators";

const ops = (c: GridColDef | undefined) => c?.filterOperators?.map((o) => o.value);

describe("withApiOperators", () => {
  it("offers exactly the API's operators per column type", () => {
    const [text, date, select, actions, fixed] = withApiOperators([
      { field: "title" },
      { field: "expirationDate", type: "date" },
      { field: "role", type: "singleSelect", valueOptions: ["editor"] },
      { field: "actions", filterable: false },
      { field: "n", type: "number" },
    ]);
    expect(ops(text)).toEqual([...API_OPERATORS.text]);
    expect(ops(text)).not.toContain("doesNotContain");
    expect(ops(date)).toEqual([...API_OPERATORS.date]);
    expect(ops(select)).toEqual([...API_OPERATORS.singleSelect]);
    expect(actions?.filterOperators).toBeUndefined();
    expect(fixed?.filterable).toBe(false);
  });
});
