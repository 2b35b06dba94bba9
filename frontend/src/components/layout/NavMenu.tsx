import ActivityIcon from "@mui/icons-material/History";
import KeyIcon from "@mui/icons-material/VpnKeyOutlined";
import MembersIcon from "@mui/icons-material/PeopleOutlined";
import ResourcesIcon from "@mui/icons-material/FolderOutlined";
import LockIcon from "@mui/icons-material/LockOutlined";
import SettingsIcon from "@mui/icons-material/SettingsOutlined";
import WebhookIcon from "@mui/icons-material/Webhook";
import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import ListSubheader from "@mui/material/ListSubheader";
import Tooltip from "@mui/material/Tooltip";
import { NavLink, useLocation } from "react-router";
import type { Membership } from "../../api/types";

const ITEMS = [
  { to: "api-keys", label: "API Keys", icon: <KeyIcon />, adminOnly: true },
  { to: "members", label: "Members", icon: <MembersIcon />, adminOnly: true },
  { to: "resources", label: "Resources", icon: <ResourcesIcon />, adminOnly: false },
  { to: "activity", label: "Activity", icon: <ActivityIcon />, adminOnly: true },
  { to: "webhooks", label: "Webhooks", icon: <WebhookIcon />, adminOnly: true },
  { to: "settings", label: "Settings", icon: <SettingsIcon />, adminOnly: true },
];

export default function NavMenu({ membership }: { membership: Membership }) {
  const base = `/orgs/${membership.organization.slug}`;
  const { pathname } = useLocation();
  const isAdmin = membership.role === "administrator";
  return (
    <nav aria-label="Organization">
      <List
        sx={{ px: 1.5, py: 2 }}
        subheader={
          <ListSubheader
            component="div"
            disableSticky
            sx={{ lineHeight: "32px", textTransform: "uppercase", fontSize: 12, letterSpacing: 0.6 }}
          >
            Organization
          </ListSubheader>
        }
      >
        {ITEMS.map((item) => {
          const to = `${base}/${item.to}`;
          const active = pathname === to || pathname.startsWith(`${to}/`);
          return (
            <ListItemButton
              key={item.to}
              component={NavLink}
              to={to}
              selected={active}
              aria-current={active ? "page" : undefined}
              sx={{ borderRadius: 1.5, mb: 0.5 }}
            >
              <ListItemIcon sx={{ minWidth: 40 }}>{item.icon}</ListItemIcon>
              <ListItemText primary={item.label} />
              {item.adminOnly && !isAdmin && (
                <Tooltip title="Administrators only">
                  <LockIcon fontSize="small" sx={{ color: "text.disabled" }} aria-label="Administrators only" />
                </Tooltip>
              )}
            </ListItemButton>
          );
        })}
      </List>
    </nav>
  );
}
