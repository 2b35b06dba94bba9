import AddIcon from "@mui/icons-material/Add";
import DeleteIcon from "@mui/icons-material/DeleteOutlined";
import InfoIcon from "@mui/icons-material/InfoOutlined";
import RollIcon from "@mui/icons-material/Autorenew";
import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import ListItemIcon from "@mui/material/ListItemIcon";
import Menu from "@mui/material/Menu";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import {
  DataGrid,
  type GridColumnVisibilityModel,
  type GridFilterModel,
  type GridPaginationModel,
  type GridSortModel,
} from "@mui/x-data-grid";
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, describeError } from "../api/problem";
import { apiKeysSource, queryKeys } from "../api/queries";
import type { ApiKey, DeletionResult, KeyStatus } from "../api/types";
import { useSession } from "../auth/AuthContext";
import { useMembership } from "../auth/OrgContext";
import AddKeyDialog from "../components/apiKeys/AddKeyDialog";
import { DEFAULT_VISIBILITY, KEY_FIELDS, keyColumns } from "../components/apiKeys/columns";
import DeleteKeyDialog from "../components/apiKeys/DeleteKeyDialog";
import ExpiryBanner from "../components/apiKeys/ExpiryBanner";
import KeyInfoDialog from "../components/apiKeys/KeyInfoDialog";
import KeysToolbar from "../components/apiKeys/KeysToolbar";
import RollKeyDialog from "../components/apiKeys/RollKeyDialog";
import AdminOnly from "../components/common/AdminOnly";
import GridFooter from "../components/common/GridFooter";
import { EmptyOverlay } from "../components/common/GridOverlays";
import { useNotify } from "../components/common/Notifier";
import PageHeader from "../components/common/PageHeader";
import { useServerList } from "../hooks/useServerList";
import { deletionMessage } from "../lib/deletionMessage";
import { GRID_LOCALE_TEXT, withApiOperators } from "../lib/gridOperators";
import { loadGridPrefs, PAGE_SIZES, saveGridPrefs, type GridPrefs } from "../lib/gridPrefs";
import { statusFilterModel } from "../lib/keyStatus";
import { filterParams, toListQuery, unusedFilter, withFilters } from "../lib/listQuery";

const GRID = "api-keys";
const DEFAULT_PREFS: GridPrefs = {
  columnVisibilityModel: DEFAULT_VISIBILITY,
  sortModel: [],
  filterModel: { items: [] },
  pageSize: 25,
};

export default function ApiKeysPage() {
  const { organization } = useMembership();
  return (
    <AdminOnly page="API Keys">
      <ApiKeysView key={organization.id} orgId={organization.id} />
    </AdminOnly>
  );
}

function ApiKeysView({ orgId }: { orgId: string }) {
  const { user } = useSession();
  const notify = useNotify();
  const [initial] = useState(() => loadGridPrefs(GRID, user.id, DEFAULT_PREFS, KEY_FIELDS));
  const [visibility, setVisibility] = useState<GridColumnVisibilityModel>(initial.columnVisibilityModel);
  const [sortModel, setSortModel] = useState<GridSortModel>(initial.sortModel);
  const [filterModel, setFilterModel] = useState<GridFilterModel>(initial.filterModel);
  const [pagination, setPagination] = useState<GridPaginationModel>({ page: 0, pageSize: initial.pageSize });
  // The toolbar's "Unused for N+ days" (0: off), ANDed with the grid's own filters.
  const [unusedDays, setUnusedDays] = useState(0);
  const queryClient = useQueryClient();

  // The Add Key dialog, then the secret: the secret lives only in that dialog's create mutation.
  const [adding, setAdding] = useState(false);
  const [menu, setMenu] = useState<{ key: ApiKey; anchor: HTMLElement } | null>(null);
  const [viewing, setViewing] = useState<ApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const [rolling, setRolling] = useState<ApiKey | null>(null);

  useEffect(() => {
    saveGridPrefs(GRID, user.id, {
      columnVisibilityModel: visibility,
      sortModel,
      filterModel,
      pageSize: pagination.pageSize,
    });
  }, [user.id, visibility, sortModel, filterModel, pagination.pageSize]);

  const query = useMemo(
    () => withFilters(toListQuery(pagination, sortModel, filterModel), [unusedFilter(unusedDays)]),
    [pagination, sortModel, filterModel, unusedDays],
  );
  const source = useMemo(() => apiKeysSource(orgId), [orgId]);
  const { rows, total, loading, error, retry } = useServerList(source, query);

  useEffect(() => {
    if (error && !(error instanceof ApiError && error.code === "invalid_query")) notify.error(error);
  }, [error, notify]);

  const columns = useMemo(
    () =>
      withApiOperators(
        keyColumns((key, anchor) => {
          setMenu({ key, anchor });
        }),
      ),
    [],
  );
  const onMissing = useCallback(() => {
    setDeleting(null);
    setRolling(null);
    notify.info("That key no longer exists.");
    void queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys(orgId) });
  }, [notify, queryClient, orgId]);

  const filtered = filterParams(filterModel).length > 0 || unusedDays > 0;
  const showStatuses = useCallback((statuses: KeyStatus[]) => {
    setFilterModel(statusFilterModel(statuses));
    setVisibility((v) => ({ ...v, status: true }));
    setPagination((p) => ({ ...p, page: 0 }));
  }, []);
  const invalidQuery = error instanceof ApiError && error.code === "invalid_query";

  return (
    <>
      <PageHeader
        title="API Keys"
        subtitle="Machine credentials that act as members of your organization, with the Editor or Viewer role."
        actions={
          <Button
            variant="contained"
            startIcon={<AddIcon />}
            onClick={() => {
              setAdding(true);
            }}
          >
            Add Key
          </Button>
        }
      />
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
                setSortModel([]);
                setUnusedDays(0);
                setPagination((p) => ({ ...p, page: 0 }));
              }}
            >
              Clear filter and sorting
            </Button>
          }
        >
          The filter could not be applied: {describeError(error)}
        </Alert>
      )}
      {error !== null && !invalidQuery && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" size="small" onClick={retry}>
              Retry
            </Button>
          }
        >
          Could not load the API keys: {describeError(error)}
        </Alert>
      )}
      <ExpiryBanner orgId={orgId} onShow={showStatuses} />
      <Paper variant="outlined" sx={{ overflow: "hidden" }}>
        <DataGrid
          aria-label="API keys"
          localeText={GRID_LOCALE_TEXT}
          rows={rows}
          columns={columns}
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
          columnVisibilityModel={visibility}
          onColumnVisibilityModelChange={setVisibility}
          disableRowSelectionOnClick
          getRowClassName={({ row }) => (row.status === "expired" ? "row-expired" : "")}
          showToolbar
          slots={{ footer: GridFooter, noRowsOverlay: EmptyOverlay, toolbar: KeysToolbar }}
          slotProps={{
            toolbar: {
              unusedDays,
              onUnusedDaysChange: (days: number) => {
                setUnusedDays(days);
                setPagination((p) => ({ ...p, page: 0 }));
              },
            },
            footer: { total, noun: total === 1 ? "key" : "keys" },
            noRowsOverlay: filtered
              ? { message: "No key matches the filter", hint: "Change or clear the filters (the Usage choice included)." }
              : { message: "No API keys yet", hint: "Click Add Key to create the first one." },
            loadingOverlay: { variant: "linear-progress", noRowsVariant: "skeleton" },
          }}
          sx={{
            minHeight: rows.length ? undefined : 320,
            "& .row-menu-button": { opacity: 0, transition: "opacity 120ms" },
            "& .MuiDataGrid-row:hover .row-menu-button, & .row-menu-button:focus-visible, & .row-menu-button[aria-expanded='true'], & .MuiDataGrid-row.Mui-selected .row-menu-button":
              { opacity: 1 },
            "@media (hover: none)": { "& .row-menu-button": { opacity: 1 } },
            "& .row-expired .MuiDataGrid-cell": { color: "text.secondary" },
            "& .row-expired": { bgcolor: "rgba(211, 47, 47, 0.035)" },
          }}
        />
      </Paper>

      <Menu
        anchorEl={menu?.anchor}
        open={menu !== null}
        onClose={() => {
          setMenu(null);
        }}
        anchorOrigin={{ vertical: "bottom", horizontal: "right" }}
        transformOrigin={{ vertical: "top", horizontal: "right" }}
      >
        <MenuItem
          onClick={() => {
            setViewing(menu?.key ?? null);
            setMenu(null);
          }}
        >
          <ListItemIcon>
            <InfoIcon fontSize="small" />
          </ListItemIcon>
          View information
        </MenuItem>
        <MenuItem
          onClick={() => {
            setRolling(menu?.key ?? null);
            setMenu(null);
          }}
        >
          <ListItemIcon>
            <RollIcon fontSize="small" />
          </ListItemIcon>
          Roll key
        </MenuItem>
        <MenuItem
          onClick={() => {
            setDeleting(menu?.key ?? null);
            setMenu(null);
          }}
          sx={{ color: "error.main" }}
        >
          <ListItemIcon>
            <DeleteIcon fontSize="small" color="error" />
          </ListItemIcon>
          Delete
        </MenuItem>
      </Menu>

      {adding && (
        <AddKeyDialog
          orgId={orgId}
          onClose={() => {
            setAdding(false);
          }}
          onCreated={(title) => {
            setAdding(false);
            notify.success(`API key "${title}" created.`);
          }}
        />
      )}
      {viewing && (
        <KeyInfoDialog
          orgId={orgId}
          initial={viewing}
          onClose={() => {
            setViewing(null);
          }}
        />
      )}
      {rolling && (
        <RollKeyDialog
          orgId={orgId}
          apiKey={rolling}
          onClose={() => {
            setRolling(null);
          }}
          onMissing={onMissing}
          onRolled={(title) => {
            setRolling(null);
            notify.success(`API key "${title}" rolled.`);
          }}
        />
      )}
      {deleting && (
        <DeleteKeyDialog
          orgId={orgId}
          apiKey={deleting}
          onClose={() => {
            setDeleting(null);
          }}
          onMissing={onMissing}
          onDeleted={(result: DeletionResult) => {
            const title = deleting.title;
            setDeleting(null);
            notify.success(deletionMessage(title, result));
          }}
        />
      )}
    </>
  );
}
