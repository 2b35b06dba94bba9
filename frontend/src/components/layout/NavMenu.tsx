import ActivityIcon from "@mui/icons-material/History";
import KeyIcon from "@mui/icons-material/VpnKeyOutlined";
import MembersIcon from "@mui/icons-material/PeopleOutlined";
import ResourcesIcon from "@mui/icons-material/FolderOutlined";
import List from "@mui/material/List";
import ListItemButton from "@mui/material/ListItemButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import ListItemText from "@mui/material/ListItemText";
import ListSubheader from "@mui/material/ListSubheader";
import { NavLink, useLocation } from "react-router";
import type { Membership } from "../../api/types";

const ITEMS = [
  { to: "api-keys", label: "API Keys", icon: <KeyIcon /> },
  { to: "members", label: "Members", icon: <MembersIcon /> },
  { to: "resources", label: "Resources", icon: <ResourcesIcon /> },
  { to: "activity", label: "Activity", icon: <ActivityIcon /> },
];

export default function NavMenu({ membership }: { membership: Membership }) {
  const base = `/orgs/${membership.organization.slug}`;
  const { pathname } = useLocation();
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
            </ListItemButton>
          );
        })}
      </List>
    </nav>
  );
}
