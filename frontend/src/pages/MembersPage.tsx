import Avatar from "@mui/material/Avatar";
import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import type { GridColDef } from "@mui/x-data-grid";
import { useMemo } from "react";
import { membersSource } from "../api/queries";
import type { Member } from "../api/types";
import { useMembership } from "../auth/OrgContext";
import AdminOnly from "../components/common/AdminOnly";
import ListGrid from "../components/common/ListGrid";
import PageHeader from "../components/common/PageHeader";
import { initials, roleLabel } from "../lib/labels";

const columns: GridColDef<Member>[] = [
  {
    field: "name",
    headerName: "Name",
    flex: 1,
    minWidth: 200,
    renderCell: ({ row }) => (
      <Box sx={{ display: "flex", alignItems: "center", gap: 1.5 }}>
        <Avatar sx={{ width: 28, height: 28, fontSize: 12 }}>{initials(row.name || row.email)}</Avatar>
        <span>{row.name}</span>
      </Box>
    ),
  },
  { field: "email", headerName: "Email address", flex: 1, minWidth: 220 },
  {
    field: "role",
    headerName: "Role",
    type: "singleSelect",
    width: 160,
    valueOptions: [
      { value: "administrator", label: "Administrator" },
      { value: "editor", label: "Editor" },
      { value: "viewer", label: "Viewer" },
    ],
    renderCell: ({ row }) => (
      <Chip
        size="small"
        label={roleLabel(row.role)}
        color={row.role === "administrator" ? "primary" : "default"}
        variant={row.role === "administrator" ? "filled" : "outlined"}
      />
    ),
  },
];

export default function MembersPage() {
  const { organization } = useMembership();
  return (
    <AdminOnly page="Members">
      <PageHeader
        title="Members"
        subtitle={`The people of ${organization.name} and their roles. Editors and administrators can receive the resources of a deleted key.`}
      />
      <MembersGrid key={organization.id} orgId={organization.id} />
    </AdminOnly>
  );
}

function MembersGrid({ orgId }: { orgId: string }) {
  const source = useMemo(() => membersSource(orgId), [orgId]);
  return (
    <ListGrid<Member>
      label="Members"
      columns={columns}
      source={source}
      noun={["member", "members"]}
      emptyMessage="No members"
    />
  );
}
