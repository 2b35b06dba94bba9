import KeyIcon from "@mui/icons-material/VpnKeyOutlined";
import PersonIcon from "@mui/icons-material/PersonOutlined";
import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import Tab from "@mui/material/Tab";
import Tabs from "@mui/material/Tabs";
import Tooltip from "@mui/material/Tooltip";
import type { GridColDef } from "@mui/x-data-grid";
import { useMemo } from "react";
import { Link, Navigate, useParams } from "react-router";
import { resourcesSource } from "../api/queries";
import { RESOURCE_KINDS, type Resource, type ResourceKind } from "../api/types";
import { useMembership } from "../auth/OrgContext";
import ListGrid from "../components/common/ListGrid";
import PageHeader from "../components/common/PageHeader";
import { formatDateTime } from "../lib/dates";
import { KIND_LABELS } from "../lib/labels";

type Owner = Resource["owners"][number];

function OwnerChip({ owner }: { owner: Owner }) {
  const isKey = owner.type === "apiKey";
  return (
    <Tooltip title={`${isKey ? "API key" : "Member"}${owner.email ? ` · ${owner.email}` : ""}`}>
      <Chip
        size="small"
        variant="outlined"
        color={isKey ? "secondary" : "default"}
        icon={isKey ? <KeyIcon /> : <PersonIcon />}
        label={owner.name}
        data-owner-type={owner.type}
      />
    </Tooltip>
  );
}

const columns: GridColDef<Resource>[] = [
  { field: "name", headerName: "Name", flex: 1, minWidth: 200 },
  {
    field: "owners",
    headerName: "Owners",
    flex: 1.5,
    minWidth: 260,
    sortable: false,
    filterable: false,
    renderCell: ({ row }) => (
      <Box sx={{ display: "flex", flexWrap: "wrap", gap: 0.75, py: 1 }} aria-label={`Owners of ${row.name}`}>
        {row.owners.map((o) => (
          <OwnerChip key={`${o.type}:${o.id}`} owner={o} />
        ))}
      </Box>
    ),
  },
  {
    field: "description",
    headerName: "Description",
    flex: 1,
    minWidth: 180,
    sortable: false,
    filterable: false,
    renderCell: ({ row }) => (
      <Box component="span" sx={{ color: "text.secondary" }}>
        {row.description}
      </Box>
    ),
  },
  {
    field: "creationDate",
    headerName: "Created",
    width: 190,
    filterable: false,
    renderCell: ({ row }) => formatDateTime(row.creationDate),
  },
];

function isKind(value: string | undefined): value is ResourceKind {
  return (RESOURCE_KINDS as readonly string[]).includes(value ?? "");
}

export default function ResourcesPage() {
  const { kind } = useParams();
  const { organization } = useMembership();
  if (!isKind(kind)) return <Navigate to={`/orgs/${organization.slug}/resources/datasources`} replace />;
  return (
    <>
      <PageHeader
        title="Resources"
        subtitle="Data sources, projects, layers and tables, with who owns each of them."
      />
      <Tabs value={kind} sx={{ mb: 2, borderBottom: 1, borderColor: "divider" }} aria-label="Resource kinds">
        {RESOURCE_KINDS.map((k) => (
          <Tab
            key={k}
            value={k}
            label={KIND_LABELS[k].plural}
            component={Link}
            to={`/orgs/${organization.slug}/resources/${k}`}
          />
        ))}
      </Tabs>
      <ResourceGrid key={`${organization.id}:${kind}`} orgId={organization.id} kind={kind} />
    </>
  );
}

function ResourceGrid({ orgId, kind }: { orgId: string; kind: ResourceKind }) {
  const source = useMemo(() => resourcesSource(orgId, kind), [orgId, kind]);
  const label = KIND_LABELS[kind];
  return (
    <ListGrid<Resource>
      label={label.plural}
      columns={columns}
      source={source}
      noun={[label.singular.toLowerCase(), label.plural.toLowerCase()]}
      emptyMessage={`No ${label.plural.toLowerCase()} you can see`}
      getRowHeight={() => "auto"}
    />
  );
}
