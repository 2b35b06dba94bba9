import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import {
  DataGrid,
  type GridColDef,
  type GridFilterModel,
  type GridPaginationModel,
  type GridSortModel,
  type GridValidRowModel,
} from "@mui/x-data-grid";
import { useEffect, useMemo, useState } from "react";
import { ApiError, describeError } from "../../api/problem";
import { useServerList, type ListSource } from "../../hooks/useServerList";
import { PAGE_SIZES } from "../../lib/gridPrefs";
import { GRID_LOCALE_TEXT, withApiOperators } from "../../lib/gridOperators";
import { filterParams, toListQuery } from "../../lib/listQuery";
import GridFooter from "./GridFooter";
import { EmptyOverlay } from "./GridOverlays";
import { useNotify } from "./Notifier";

interface Props<T extends GridValidRowModel> {
  label: string;
  columns: GridColDef<T>[];
  /** Where the rows come from: its cache key and loader (src/api/queries.ts). */
  source: ListSource<T>;
  noun: [singular: string, plural: string];
  emptyMessage: string;
  emptyHint?: string;
  initialSort?: GridSortModel;
  getRowHeight?: () => number | "auto";
}

/** A read-only list on the shared list grammar: server-side paging, sorting and filtering. */
export default function ListGrid<T extends GridValidRowModel & { id: string }>({
  label,
  columns,
  source,
  noun,
  emptyMessage,
  emptyHint,
  initialSort = [],
  getRowHeight,
}: Props<T>) {
  const notify = useNotify();
  const apiColumns = useMemo(() => withApiOperators(columns), [columns]);
  const [pagination, setPagination] = useState<GridPaginationModel>({ page: 0, pageSize: 25 });
  const [sortModel, setSortModel] = useState<GridSortModel>(initialSort);
  const [filterModel, setFilterModel] = useState<GridFilterModel>({ items: [] });
  const query = useMemo(
    () => toListQuery(pagination, sortModel, filterModel),
    [pagination, sortModel, filterModel],
  );
  const { rows, total, loading, error, retry } = useServerList(source, query);
  const invalidQuery = error instanceof ApiError && error.code === "invalid_query";

  useEffect(() => {
    if (error && !invalidQuery) notify.error(error);
  }, [error, invalidQuery, notify]);

  const filtered = filterParams(filterModel).length > 0;
  return (
    <>
      {invalidQuery && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button
              color="inherit"
              size="small"
              onClick={() => {
                setFilterModel({ items: [] });
                setSortModel(initialSort);
              }}
            >
              Reset
            </Button>
          }
        >
          The filter or sort could not be applied: {describeError(error)}
        </Alert>
      )}
      {error !== null && !invalidQuery && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button
              color="inherit"
              size="small"
              onClick={retry}
            >
              Retry
            </Button>
          }
        >
          Could not load the {noun[1]}: {describeError(error)}
        </Alert>
      )}
      <Paper variant="outlined" sx={{ overflow: "hidden" }}>
        <DataGrid
          aria-label={label}
          localeText={GRID_LOCALE_TEXT}
          rows={rows}
          columns={apiColumns}
          getRowId={(r) => r.id}
          rowCount={total}
          loading={loading}
          autoHeight
          paginationMode="server"
          sortingMode="server"
          filterMode="server"
          paginationModel={pagination}
          onPaginationModelChange={setPagination}
          pageSizeOptions={[...PAGE_SIZES]}
          sortModel={sortModel}
          onSortModelChange={(m) => {
            setSortModel(m);
            setPagination((p) => ({ ...p, page: 0 }));
          }}
          filterModel={filterModel}
          onFilterModelChange={(m) => {
            setFilterModel(m);
            setPagination((p) => ({ ...p, page: 0 }));
          }}
          disableRowSelectionOnClick
          getRowHeight={getRowHeight}
          slots={{ footer: GridFooter, noRowsOverlay: EmptyOverlay }}
          slotProps={{
            footer: { total, noun: total === 1 ? noun[0] : noun[1] },
            noRowsOverlay: filtered
              ? { message: `No ${noun[0]} matches the filter`, hint: "Change or clear the filter in the column menu." }
              : { message: emptyMessage, hint: emptyHint },
            loadingOverlay: { variant: "linear-progress", noRowsVariant: "skeleton" },
          }}
          sx={{
            minHeight: rows.length ? undefined : 280,
            // Rows of varying height: cells centre their content and keep some air.
            "& .MuiDataGrid-cell": getRowHeight ? { py: 1, display: "flex", alignItems: "center" } : {},
          }}
        />
      </Paper>
    </>
  );
}
