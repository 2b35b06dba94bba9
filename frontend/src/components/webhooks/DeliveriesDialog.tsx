import RefreshIcon from "@mui/icons-material/Refresh";
import SendIcon from "@mui/icons-material/SendOutlined";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Dialog from "@mui/material/Dialog";
import MenuItem from "@mui/material/MenuItem";
import TextField from "@mui/material/TextField";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Tooltip from "@mui/material/Tooltip";
import Typography from "@mui/material/Typography";
import { DataGrid, type GridColDef, type GridPaginationModel } from "@mui/x-data-grid";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { describeError } from "../../api/problem";
import { deliveriesSource } from "../../api/queries";
import type { Delivery, DeliveryStatus, Webhook } from "../../api/types";
import { formatDateTime } from "../../lib/dates";
import { deliveryStatusColor, deliveryStatusLabel, eventLabel } from "../../lib/webhooks";
import GridFooter from "../common/GridFooter";
import { EmptyOverlay } from "../common/GridOverlays";

/** While a delivery is on its way the log asks again this often; otherwise a little less often. */
const PENDING_REFRESH_MS = 2_000;
const IDLE_REFRESH_MS = 5_000;

/** The last attempt's outcome: the server's error text ("HTTP 500", "timed out…") or the status. */
function responseText(d: Delivery): string {
  if (d.lastError) return d.lastError;
  return d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : "";
}

const columns: GridColDef<Delivery>[] = [
  {
    field: "createdAt",
    headerName: "Created",
    width: 190,
    sortable: false,
    renderCell: ({ row }) => formatDateTime(row.createdAt),
  },
  {
    field: "eventType",
    headerName: "Event",
    width: 140,
    sortable: false,
    renderCell: ({ row }) => (
      <Tooltip title={`${row.eventType} · event ${row.eventId}`}>
        <span>{eventLabel(row.eventType)}</span>
      </Tooltip>
    ),
  },
  {
    field: "status",
    headerName: "Status",
    width: 120,
    sortable: false,
    renderCell: ({ row }) => (
      <Chip
        size="small"
        variant="outlined"
        color={deliveryStatusColor(row.status)}
        label={deliveryStatusLabel(row.status)}
      />
    ),
  },
  { field: "attempts", headerName: "Attempts", width: 100, sortable: false, align: "right", headerAlign: "right" },
  {
    field: "response",
    headerName: "Response",
    flex: 1,
    minWidth: 120,
    sortable: false,
    valueGetter: (_v, row) => responseText(row),
    renderCell: ({ row }) => {
      const text = responseText(row);
      const ok = row.lastStatusCode !== null && row.lastStatusCode >= 200 && row.lastStatusCode < 300;
      return (
        <Box
          component="span"
          title={text}
          sx={{ overflow: "hidden", textOverflow: "ellipsis", color: text && !ok ? "error.main" : undefined }}
        >
          {text || "—"}
        </Box>
      );
    },
  },
  {
    field: "lastAttemptAt",
    headerName: "Last attempt",
    width: 190,
    sortable: false,
    renderCell: ({ row }) => formatDateTime(row.lastAttemptAt) || "—",
  },
  {
    field: "when",
    headerName: "Delivered / next attempt",
    width: 215,
    sortable: false,
    renderCell: ({ row }) => {
      if (row.deliveredAt) return formatDateTime(row.deliveredAt);
      if (row.status === "pending" && row.nextAttemptAt) return `Next: ${formatDateTime(row.nextAttemptAt)}`;
      return "—";
    },
  },
];

/**
 * The deliveries of one webhook, newest first, with their status, attempts and last response.
 * It refreshes itself (every 2 s while a delivery is pending), so a test event shows up as
 * delivered without reloading.
 */
export default function DeliveriesDialog({
  orgId,
  webhook,
  onClose,
  onSendTest,
  sending,
}: {
  orgId: string;
  webhook: Webhook;
  onClose: () => void;
  onSendTest: () => void;
  sending: boolean;
}) {
  const [pagination, setPagination] = useState<GridPaginationModel>({ page: 0, pageSize: 25 });
  const [status, setStatus] = useState<"" | DeliveryStatus>("");
  const source = useMemo(() => deliveriesSource(orgId, webhook.id), [orgId, webhook.id]);
  const query = useMemo(
    () => ({
      limit: pagination.pageSize,
      offset: pagination.page * pagination.pageSize,
      ...(status ? { filter: [`status:is:${status}`] } : {}),
    }),
    [pagination, status],
  );
  const list = useQuery({
    queryKey: source.key(query),
    queryFn: ({ signal }) => source.load(query, signal),
    placeholderData: keepPreviousData,
    staleTime: 0,
    refetchInterval: (q) =>
      q.state.data?.items.some((d) => d.status === "pending") ? PENDING_REFRESH_MS : IDLE_REFRESH_MS,
  });
  const rows = list.data?.items ?? [];
  const total = list.data?.total ?? 0;

  return (
    <Dialog open onClose={onClose} maxWidth="lg" fullWidth aria-labelledby="deliveries-title">
      <DialogTitle id="deliveries-title" sx={{ pb: 0.5 }}>
        Deliveries
      </DialogTitle>
      <DialogContent>
        <Box sx={{ display: "flex", gap: 2, alignItems: "center", mb: 2, flexWrap: "wrap" }}>
          <Typography color="text.secondary" sx={{ flex: "1 1 320px", overflowWrap: "anywhere" }}>
            Events sent to <strong>{webhook.url}</strong>, newest first. Failed attempts are tried
            again with a growing delay.
          </Typography>
          <TextField
            select
            size="small"
            label="Status"
            value={status}
            onChange={(e) => {
              setStatus(e.target.value as "" | DeliveryStatus);
              setPagination((p) => ({ ...p, page: 0 }));
            }}
            sx={{ minWidth: 180 }}
            slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
          >
            <MenuItem value="">All deliveries</MenuItem>
            {(["pending", "delivered", "failed"] as const).map((s) => (
              <MenuItem key={s} value={s}>
                {deliveryStatusLabel(s)}
              </MenuItem>
            ))}
          </TextField>
        </Box>
        {list.isError && (
          <Alert
            severity="error"
            sx={{ mb: 2 }}
            action={
              <Button
                color="inherit"
                size="small"
                onClick={() => {
                  void list.refetch();
                }}
              >
                Retry
              </Button>
            }
          >
            Could not load the deliveries: {describeError(list.error)}
          </Alert>
        )}
        <Box sx={{ border: 1, borderColor: "divider", borderRadius: 1, overflow: "hidden" }}>
          <DataGrid
            aria-label="Deliveries"
            rows={rows}
            columns={columns}
            getRowId={(r) => r.id}
            rowCount={total}
            loading={list.isFetching && !list.data}
            autoHeight
            paginationMode="server"
            paginationModel={pagination}
            onPaginationModelChange={setPagination}
            pageSizeOptions={[25, 50, 100]}
            disableColumnMenu
            disableColumnFilter
            disableRowSelectionOnClick
            slots={{ footer: GridFooter, noRowsOverlay: EmptyOverlay }}
            slotProps={{
              footer: { total, noun: total === 1 ? "delivery" : "deliveries" },
              noRowsOverlay: status
                ? { message: `No ${deliveryStatusLabel(status).toLowerCase()} deliveries`, hint: "Choose another status." }
                : {
                    message: "No deliveries yet",
                    hint: "Events are listed here once they happen. Send a test event to try the URL.",
                  },
              loadingOverlay: { variant: "linear-progress", noRowsVariant: "skeleton" },
            }}
            sx={{ minHeight: rows.length ? undefined : 260 }}
          />
        </Box>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button
          startIcon={<RefreshIcon />}
          onClick={() => {
            void list.refetch();
          }}
          loading={list.isFetching}
          loadingPosition="start"
        >
          Refresh
        </Button>
        <Button startIcon={<SendIcon />} onClick={onSendTest} loading={sending} loadingPosition="start">
          Send test
        </Button>
        <Box sx={{ flexGrow: 1 }} />
        <Button variant="contained" onClick={onClose}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
