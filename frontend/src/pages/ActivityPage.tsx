import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import Typography from "@mui/material/Typography";
import type { GridColDef } from "@mui/x-data-grid";
import { useMemo } from "react";
import { auditEventsSource } from "../api/queries";
import type { AuditEvent } from "../api/types";
import { useMembership } from "../auth/OrgContext";
import AdminOnly from "../components/common/AdminOnly";
import ListGrid from "../components/common/ListGrid";
import PageHeader from "../components/common/PageHeader";
import { formatDateTime } from "../lib/dates";
import { actionLabel, describeDetails, targetTypeLabel } from "../lib/auditDetails";

const columns: GridColDef<AuditEvent>[] = [
  {
    field: "occurredAt",
    headerName: "When",
    width: 190,
    filterable: false,
    renderCell: ({ row }) => formatDateTime(row.occurredAt),
  },
  {
    field: "actor",
    headerName: "Who",
    flex: 1,
    minWidth: 180,
    valueGetter: (_v, row) => row.actor.name,
    renderCell: ({ row }) => (
      <Box sx={{ lineHeight: 1.3, minWidth: 0 }}>
        <Typography variant="body2" noWrap title={row.actor.name}>
          {row.actor.name}
        </Typography>
        <Typography variant="caption" color="text.secondary" noWrap component="div" title={row.actor.email}>
          {row.actor.type === "apiKey" ? "API key" : row.actor.email}
        </Typography>
      </Box>
    ),
  },
  {
    field: "action",
    headerName: "Action",
    width: 200,
    renderCell: ({ row }) => (
      <Chip size="small" variant="outlined" label={actionLabel(row.action)} title={row.action} />
    ),
  },
  {
    field: "targetName",
    headerName: "Target",
    flex: 1,
    minWidth: 180,
    renderCell: ({ row }) => (
      <Box sx={{ lineHeight: 1.3 }}>
        <Typography variant="body2">{row.targetName || row.targetId}</Typography>
        <Typography variant="caption" color="text.secondary">
          {targetTypeLabel(row.targetType)}
        </Typography>
      </Box>
    ),
  },
  {
    field: "details",
    headerName: "Details",
    flex: 2.2,
    minWidth: 280,
    sortable: false,
    filterable: false,
    renderCell: ({ row }) => (
      <Typography variant="body2" sx={{ whiteSpace: "normal" }}>
        {describeDetails(row.details)}
      </Typography>
    ),
  },
  {
    field: "clientAddress",
    headerName: "Address",
    width: 140,
    sortable: false,
    filterable: false,
  },
];

export default function ActivityPage() {
  const { organization } = useMembership();
  return (
    <AdminOnly page="Activity">
      <PageHeader title="Activity" subtitle={`What happened in ${organization.name}, most recent first.`} />
      <ActivityGrid key={organization.id} orgId={organization.id} />
    </AdminOnly>
  );
}

function ActivityGrid({ orgId }: { orgId: string }) {
  const source = useMemo(() => auditEventsSource(orgId), [orgId]);
  return (
    <ListGrid<AuditEvent>
      label="Activity"
      columns={columns}
      source={source}
      noun={["event", "events"]}
      emptyMessage="No activity yet"
      initialSort={[{ field: "occurredAt", sort: "desc" }]}
      getRowHeight={() => "auto"}
    />
  );
}
