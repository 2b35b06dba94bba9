/**
 * The Data Grid offers more filter operators than the API's list grammar accepts (e.g. "does
 * not contain" on text). Each column keeps only the operators the API understands.
 */
import {
  getGridDateOperators,
  getGridSingleSelectOperators,
  getGridStringOperators,
  type GridColDef,
  type GridValidRowModel,
} from "@mui/x-data-grid";

export const API_OPERATORS = {
  text: ["contains", "equals", "startsWith", "endsWith", "isEmpty", "isNotEmpty"],
  date: ["is", "not", "after", "onOrAfter", "before", "onOrBefore", "isEmpty", "isNotEmpty"],
  singleSelect: ["is", "not", "isAnyOf"],
} as const;

function keep<T extends { value: string }>(ops: T[], allowed: readonly string[]): T[] {
  return ops.filter((op) => allowed.includes(op.value));
}

export function withApiOperators<R extends GridValidRowModel>(columns: GridColDef<R>[]): GridColDef<R>[] {
  return columns.map((col) => {
    if (col.filterable === false || col.filterOperators) return col;
    switch (col.type) {
      case undefined:
      case "string":
        return { ...col, filterOperators: keep(getGridStringOperators(), API_OPERATORS.text) };
      case "date":
      case "dateTime":
        return { ...col, filterOperators: keep(getGridDateOperators(), API_OPERATORS.date) };
      case "singleSelect":
        return { ...col, filterOperators: keep(getGridSingleSelectOperators(), API_OPERATORS.singleSelect) };
      default:
        return { ...col, filterable: false };
    }
  });
}

/** Wording for the column menus. */
export const GRID_LOCALE_TEXT = {
  columnMenuSortAsc: "Sort ascending",
  columnMenuSortDesc: "Sort descending",
  columnMenuUnsort: "Remove sorting",
};
