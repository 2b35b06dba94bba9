import BusinessIcon from "@mui/icons-material/BusinessOutlined";
import CheckIcon from "@mui/icons-material/Check";
import ExpandMoreIcon from "@mui/icons-material/ExpandMore";
import Button from "@mui/material/Button";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import Menu from "@mui/material/Menu";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useState } from "react";
import { useLocation, useNavigate } from "react-router";
import type { Membership } from "../../api/types";
import { roleLabel } from "../../lib/labels";

interface Props {
  current: Membership;
  memberships: readonly Membership[];
}

/** Shows the current organization; lets a member of several switch, staying on the same page. */
export default function OrgSwitcher({ current, memberships }: Props) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const name = current.organization.name;

  if (memberships.length < 2) {
    return (
      <Stack direction="row" spacing={1} sx={{ alignItems: "center", color: "text.secondary" }}>
        <BusinessIcon fontSize="small" />
        <Typography component="span" sx={{ fontWeight: 600, color: "text.primary" }}>
          {name}
        </Typography>
      </Stack>
    );
  }

  const section = /^\/orgs\/[^/]+\/([^/]+)/.exec(pathname)?.[1] ?? "api-keys";
  return (
    <>
      <Button
        color="inherit"
        startIcon={<BusinessIcon />}
        endIcon={<ExpandMoreIcon />}
        aria-haspopup="menu"
        aria-expanded={anchor ? "true" : undefined}
        aria-label={`Organization: ${name}. Switch organization`}
        onClick={(e) => {
          setAnchor(e.currentTarget);
        }}
        sx={{ fontWeight: 600 }}
      >
        {name}
      </Button>
      <Menu
        anchorEl={anchor}
        open={anchor !== null}
        onClose={() => {
          setAnchor(null);
        }}
      >
        {memberships.map((m) => {
          const selected = m.organization.id === current.organization.id;
          return (
            <MenuItem
              key={m.organization.id}
              selected={selected}
              onClick={() => {
                setAnchor(null);
                void navigate(`/orgs/${m.organization.slug}/${section}`);
              }}
            >
              <ListItemIcon>{selected ? <CheckIcon fontSize="small" /> : null}</ListItemIcon>
              <ListItemText primary={m.organization.name} secondary={roleLabel(m.role)} />
            </MenuItem>
          );
        })}
      </Menu>
    </>
  );
}
