import AddIcon from "@mui/icons-material/Add";
import DeleteIcon from "@mui/icons-material/DeleteOutlined";
import DisableIcon from "@mui/icons-material/PauseCircleOutlined";
import EnableIcon from "@mui/icons-material/PlayCircleOutlined";
import LogIcon from "@mui/icons-material/ListAlt";
import MoreVertIcon from "@mui/icons-material/MoreVert";
import SendIcon from "@mui/icons-material/SendOutlined";
import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import IconButton from "@mui/material/IconButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import Menu from "@mui/material/Menu";
import MenuItem from "@mui/material/MenuItem";
import Paper from "@mui/material/Paper";
import Typography from "@mui/material/Typography";
import { DataGrid, type GridColDef, type GridPaginationModel } from "@mui/x-data-grid";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { describeError } from "../api/problem";
import { queryKeys, webhooksSource } from "../api/queries";
import type { Webhook } from "../api/types";
import { useMembership } from "../auth/OrgContext";
import AdminOnly from "../components/common/AdminOnly";
import GridFooter from "../components/common/GridFooter";
import { EmptyOverlay } from "../components/common/GridOverlays";
import { useNotify } from "../components/common/Notifier";
import PageHeader from "../components/common/PageHeader";
import AddWebhookDialog from "../components/webhooks/AddWebhookDialog";
import DeleteWebhookDialog from "../components/webhooks/DeleteWebhookDialog";
import DeliveriesDialog from "../components/webhooks/DeliveriesDialog";
import { useServerList } from "../hooks/useServerList";
import { useTestWebhook, useUpdateWebhook } from "../hooks/webhooks";
import { formatDateTime } from "../lib/dates";
import { PAGE_SIZES } from "../lib/gridPrefs";
import { ALL_EVENTS, deliveryStatusColor, deliveryStatusLabel } from "../lib/webhooks";

export default function WebhooksPage() {
  const { organization } = useMembership();
  return (
    <AdminOnly page="Webhooks">
      <WebhooksView key={organization.id} orgId={organization.id} />
    </AdminOnly>
  );
}

function webhookColumns(onOpenMenu: (w: Webhook, anchor: HTMLElement) => void): GridColDef<Webhook>[] {
  return [
    {
      field: "url",
      headerName: "URL",
      flex: 1.6,
      minWidth: 260,
      sortable: false,
      renderCell: ({ row }) => (
        <Box sx={{ minWidth: 0, lineHeight: 1.35 }}>
          <Typography
            variant="body2"
            noWrap
            title={row.url}
            sx={{ fontFamily: "monospace", fontSize: 13, fontWeight: 500 }}
          >
            {row.url}
          </Typography>
          {row.description && (
            <Typography variant="caption" color="text.secondary" noWrap component="div" title={row.description}>
              {row.description}
            </Typography>
          )}
        </Box>
      ),
    },
    {
      field: "events",
      headerName: "Events",
      flex: 1.2,
      minWidth: 220,
      sortable: false,
      renderCell: ({ row }) =>
        ALL_EVENTS.every((e) => row.events.includes(e)) ? (
          <Chip size="small" label="All events" variant="outlined" />
        ) : (
          <Box sx={{ display: "flex", flexWrap: "wrap", gap: 0.5, py: 0.5 }}>
            {row.events.map((e) => (
              <Chip key={e} size="small" label={e} variant="outlined" sx={{ fontFamily: "monospace", fontSize: 12 }} />
            ))}
          </Box>
        ),
    },
    {
      field: "active",
      headerName: "Active",
      width: 110,
      sortable: false,
      renderCell: ({ row }) => (
        <Chip
          size="small"
          label={row.active ? "Active" : "Disabled"}
          color={row.active ? "success" : "default"}
          variant={row.active ? "outlined" : "filled"}
        />
      ),
    },
    {
      field: "lastDelivery",
      headerName: "Last delivery",
      width: 250,
      sortable: false,
      renderCell: ({ row }) =>
        row.lastDelivery ? (
          <Box sx={{ display: "flex", alignItems: "center", gap: 1 }}>
            <Chip
              size="small"
              variant="outlined"
              color={deliveryStatusColor(row.lastDelivery.status)}
              label={deliveryStatusLabel(row.lastDelivery.status)}
              title={row.lastDelivery.statusCode !== null ? `HTTP ${row.lastDelivery.statusCode}` : undefined}
            />
            <Typography variant="caption" color="text.secondary">
              {formatDateTime(row.lastDelivery.at)}
            </Typography>
          </Box>
        ) : (
          <Box component="span" sx={{ color: "text.disabled" }}>
            None yet
          </Box>
        ),
    },
    {
      field: "actions",
      headerName: "",
      description: "Actions",
      width: 64,
      sortable: false,
      filterable: false,
      hideable: false,
      disableColumnMenu: true,
      align: "right",
      renderCell: ({ row, tabIndex }) => (
        <IconButton
          tabIndex={tabIndex}
          size="small"
          aria-label={`Actions for ${row.url}`}
          aria-haspopup="menu"
          onClick={(e) => {
            e.stopPropagation();
            onOpenMenu(row, e.currentTarget);
          }}
        >
          <MoreVertIcon fontSize="small" />
        </IconButton>
      ),
    },
  ];
}

function WebhooksView({ orgId }: { orgId: string }) {
  const notify = useNotify();
  const queryClient = useQueryClient();
  const [pagination, setPagination] = useState<GridPaginationModel>({ page: 0, pageSize: 25 });
  const query = useMemo(
    () => ({ limit: pagination.pageSize, offset: pagination.page * pagination.pageSize }),
    [pagination],
  );
  const source = useMemo(() => webhooksSource(orgId), [orgId]);
  // While a last delivery is on its way, the list asks again so that its outcome shows.
  const { rows, total, loading, error, retry } = useServerList(source, query, {
    refetchInterval: (items) => (items.some((w) => w.lastDelivery?.status === "pending") ? 3_000 : false),
  });
  const [adding, setAdding] = useState(false);
  const [menu, setMenu] = useState<{ webhook: Webhook; anchor: HTMLElement } | null>(null);
  const [logFor, setLogFor] = useState<Webhook | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const update = useUpdateWebhook(orgId);
  const test = useTestWebhook(orgId);
  // The deliveries dialog follows the list's fresh row (e.g. after Disable) while it is there.
  const shownLog = logFor ? (rows.find((r) => r.id === logFor.id) ?? logFor) : null;

  useEffect(() => {
    if (error) notify.error(error);
  }, [error, notify]);

  const columns = useMemo(
    () =>
      webhookColumns((webhook, anchor) => {
        setMenu({ webhook, anchor });
      }),
    [],
  );

  const sendTest = (webhook: Webhook) => {
    test.mutate(webhook.id, {
      onSuccess: () => {
        notify.success("Test event queued: see it in the deliveries.");
      },
      onError: (err) => {
        notify.error(`Could not send the test event: ${describeError(err)}`);
      },
    });
  };

  const setActive = (webhook: Webhook, active: boolean) => {
    update.mutate(
      { webhookId: webhook.id, body: { active } },
      {
        onSuccess: () => {
          notify.success(active ? "Webhook enabled: events are sent again." : "Webhook disabled: no events are sent.");
        },
        onError: (err) => {
          notify.error(`Could not ${active ? "enable" : "disable"} the webhook: ${describeError(err)}`);
        },
      },
    );
  };

  const current = menu?.webhook;

  return (
    <>
      <PageHeader
        title="Webhooks"
        subtitle="Signed HTTP callbacks when the organization's API keys are created, rolled, near expiry, expired or deleted."
        actions={
          <Button
            variant="contained"
            startIcon={<AddIcon />}
            onClick={() => {
              setAdding(true);
            }}
          >
            Add webhook
          </Button>
        }
      />
      {error !== null && (
        <Alert
          severity="error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" size="small" onClick={retry}>
              Retry
            </Button>
          }
        >
          Could not load the webhooks: {describeError(error)}
        </Alert>
      )}
      <Paper variant="outlined" sx={{ overflow: "hidden" }}>
        <DataGrid
          aria-label="Webhooks"
          rows={rows}
          columns={columns}
          getRowId={(r) => r.id}
          rowCount={total}
          loading={loading}
          autoHeight
          paginationMode="server"
          paginationModel={pagination}
          onPaginationModelChange={setPagination}
          pageSizeOptions={[...PAGE_SIZES]}
          disableColumnFilter
          disableRowSelectionOnClick
          getRowHeight={() => "auto"}
          slots={{ footer: GridFooter, noRowsOverlay: EmptyOverlay }}
          slotProps={{
            footer: { total, noun: total === 1 ? "webhook" : "webhooks" },
            noRowsOverlay: {
              message: "No webhooks yet",
              hint: "Click Add webhook to have Keyhouse call your service when keys change.",
            },
            loadingOverlay: { variant: "linear-progress", noRowsVariant: "skeleton" },
          }}
          sx={{
            minHeight: rows.length ? undefined : 300,
            "& .MuiDataGrid-cell": { py: 1, display: "flex", alignItems: "center" },
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
            setLogFor(current ?? null);
            setMenu(null);
          }}
        >
          <ListItemIcon>
            <LogIcon fontSize="small" />
          </ListItemIcon>
          Deliveries
        </MenuItem>
        <MenuItem
          onClick={() => {
            if (current) sendTest(current);
            setMenu(null);
          }}
        >
          <ListItemIcon>
            <SendIcon fontSize="small" />
          </ListItemIcon>
          Send test
        </MenuItem>
        {current?.active ? (
          <MenuItem
            onClick={() => {
              setActive(current, false);
              setMenu(null);
            }}
          >
            <ListItemIcon>
              <DisableIcon fontSize="small" />
            </ListItemIcon>
            Disable
          </MenuItem>
        ) : (
          <MenuItem
            onClick={() => {
              if (current) setActive(current, true);
              setMenu(null);
            }}
          >
            <ListItemIcon>
              <EnableIcon fontSize="small" />
            </ListItemIcon>
            Enable
          </MenuItem>
        )}
        <MenuItem
          onClick={() => {
            setDeleting(current ?? null);
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
        <AddWebhookDialog
          orgId={orgId}
          onClose={() => {
            setAdding(false);
          }}
          onCreated={() => {
            setAdding(false);
            notify.success("Webhook added.");
          }}
        />
      )}
      {shownLog && (
        <DeliveriesDialog
          orgId={orgId}
          webhook={shownLog}
          sending={test.isPending}
          onSendTest={() => {
            sendTest(shownLog);
          }}
          onClose={() => {
            setLogFor(null);
            // The log may have seen deliveries finish: the list's "Last delivery" follows.
            void queryClient.invalidateQueries({ queryKey: queryKeys.webhooks(orgId) });
          }}
        />
      )}
      {deleting && (
        <DeleteWebhookDialog
          orgId={orgId}
          webhook={deleting}
          onClose={() => {
            setDeleting(null);
          }}
          onDeleted={(missing) => {
            setDeleting(null);
            if (missing) notify.info("That webhook no longer exists.");
            else notify.success("Webhook deleted.");
          }}
        />
      )}
    </>
  );
}

