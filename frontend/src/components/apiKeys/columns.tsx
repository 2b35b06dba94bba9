import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import IconButton from "@mui/material/IconButton";
import Tooltip from "@mui/material/Tooltip";
import MoreVertIcon from "@mui/icons-material/MoreVert";
import type { GridColDef } from "@mui/x-data-grid";
import type { ApiKey } from "../../api/types";
import { formatDate, formatDateTime, parseIsoDate } from "../../lib/dates";
import { KEY_STATUS_OPTIONS, keyStatusColor, keyStatusLabel } from "../../lib/keyStatus";
import { roleLabel } from "../../lib/labels";

export const KEY_FIELDS = [
  "title",
  "id",
  "createdBy",
  "creationDate",
  "expirationDate",
  "role",
  "status",
  "lastUsedDate",
] as const;

/** Role, Status and Last used are available but hidden until the user shows them. */
export const DEFAULT_VISIBILITY = { role: false, status: false, lastUsedDate: false };

function isoToDate(value: unknown): Date | null {
  if (typeof value !== "string" || !value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function keyColumns(onOpenMenu: (key: ApiKey, anchor: HTMLElement) => void): GridColDef<ApiKey>[] {
  return [
    {
      field: "title",
      headerName: "Title",
      flex: 1.4,
      minWidth: 200,
      renderCell: ({ row }) => (
        <Box
          component="span"
          sx={{ fontWeight: 500, overflow: "hidden", textOverflow: "ellipsis" }}
          title={row.title}
        >
          {row.title}
        </Box>
      ),
    },
    {
      field: "id",
      headerName: "ID",
      flex: 1,
      minWidth: 170,
      renderCell: ({ row }) => (
        <Box
          component="span"
          sx={{ fontFamily: "monospace", fontSize: 13, color: "text.secondary", overflow: "hidden", textOverflow: "ellipsis" }}
          title={row.id}
        >
          {row.id}
        </Box>
      ),
    },
    {
      field: "createdBy",
      headerName: "Created by",
      flex: 1,
      minWidth: 160,
      valueGetter: (_value, row) => row.createdBy.name || row.createdBy.email,
      renderCell: ({ row }) => (
        <Tooltip title={row.createdBy.email}>
          <span>{row.createdBy.name || row.createdBy.email}</span>
        </Tooltip>
      ),
    },
    {
      field: "creationDate",
      headerName: "Creation date",
      type: "date",
      width: 190,
      valueGetter: (value) => isoToDate(value),
      renderCell: ({ row }) => formatDateTime(row.creationDate),
    },
    {
      field: "expirationDate",
      headerName: "Expiration date",
      type: "date",
      width: 240,
      valueGetter: (value) => (typeof value === "string" ? parseIsoDate(value) : null),
      renderCell: ({ row }) => (
        <Box sx={{ display: "flex", alignItems: "center", gap: 1 }}>
          <span>{formatDate(row.expirationDate)}</span>
          {row.status !== "active" && (
            <Chip label={keyStatusLabel(row.status)} size="small" color={keyStatusColor(row.status)} variant="outlined" />
          )}
        </Box>
      ),
    },
    {
      field: "role",
      headerName: "Role",
      type: "singleSelect",
      width: 120,
      valueOptions: [
        { value: "editor", label: "Editor" },
        { value: "viewer", label: "Viewer" },
      ],
      renderCell: ({ row }) => roleLabel(row.role),
    },
    {
      field: "status",
      headerName: "Status",
      type: "singleSelect",
      width: 140,
      valueOptions: KEY_STATUS_OPTIONS,
      renderCell: ({ row }) => (
        <Chip size="small" label={keyStatusLabel(row.status)} color={keyStatusColor(row.status)} variant="outlined" />
      ),
    },
    {
      field: "lastUsedDate",
      headerName: "Last used",
      type: "date",
      width: 190,
      valueGetter: (value) => isoToDate(value),
      renderCell: ({ row }) =>
        row.lastUsedDate ? (
          formatDateTime(row.lastUsedDate)
        ) : (
          <Box component="span" sx={{ color: "text.disabled" }}>
            Never
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
          className="row-menu-button"
          tabIndex={tabIndex}
          size="small"
          aria-label={`Actions for ${row.title}`}
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
