import FilterListIcon from "@mui/icons-material/FilterList";
import ViewColumnIcon from "@mui/icons-material/ViewColumnOutlined";
import Badge from "@mui/material/Badge";
import Box from "@mui/material/Box";
import MenuItem from "@mui/material/MenuItem";
import TextField from "@mui/material/TextField";
import Tooltip from "@mui/material/Tooltip";
import { ColumnsPanelTrigger, FilterPanelTrigger, Toolbar, ToolbarButton } from "@mui/x-data-grid";
import { UNUSED_DAYS } from "../../lib/listQuery";

declare module "@mui/x-data-grid" {
  interface ToolbarPropsOverrides {
    unusedDays?: number;
    onUnusedDaysChange?: (days: number) => void;
  }
}

/**
 * The API Keys grid's toolbar: the usage quick filter ("Unused for 30+ days"…), which adds
 * `unusedDays:>=:N` to the grid's own filters, and the columns and filters panels.
 */
export default function KeysToolbar({
  unusedDays = 0,
  onUnusedDaysChange,
}: {
  unusedDays?: number;
  onUnusedDaysChange?: (days: number) => void;
}) {
  return (
    <Toolbar style={{ justifyContent: "flex-start", gap: 8, minHeight: 56, paddingLeft: 16 }}>
      <TextField
        select
        size="small"
        label="Usage"
        value={unusedDays}
        onChange={(e) => onUnusedDaysChange?.(Number(e.target.value))}
        sx={{ minWidth: 220 }}
        slotProps={{ select: { MenuProps: { disablePortal: false } } }}
      >
        <MenuItem value={0}>All keys</MenuItem>
        {UNUSED_DAYS.map((d) => (
          <MenuItem key={d} value={d}>
            Unused for {d}+ days
          </MenuItem>
        ))}
      </TextField>
      <Box sx={{ flexGrow: 1 }} />
      <Tooltip title="Columns">
        <ColumnsPanelTrigger render={<ToolbarButton aria-label="Columns" />}>
          <ViewColumnIcon fontSize="small" />
        </ColumnsPanelTrigger>
      </Tooltip>
      <Tooltip title="Filters">
        <FilterPanelTrigger
          render={(props, state) => (
            <ToolbarButton {...props} aria-label="Filters" color="default">
              <Badge badgeContent={state.filterCount} color="primary" variant="dot">
                <FilterListIcon fontSize="small" />
              </Badge>
            </ToolbarButton>
          )}
        />
      </Tooltip>
    </Toolbar>
  );
}
