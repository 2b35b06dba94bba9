import LogoutIcon from "@mui/icons-material/Logout";
import Avatar from "@mui/material/Avatar";
import Box from "@mui/material/Box";
import Divider from "@mui/material/Divider";
import IconButton from "@mui/material/IconButton";
import ListItemIcon from "@mui/material/ListItemIcon";
import Menu from "@mui/material/Menu";
import MenuItem from "@mui/material/MenuItem";
import Typography from "@mui/material/Typography";
import { useState } from "react";
import { useNavigate } from "react-router";
import type { User } from "../../api/types";
import { useAuth } from "../../auth/AuthContext";
import { initials } from "../../lib/labels";
import { useNotify } from "../common/Notifier";

export default function UserMenu({ user }: { user: User }) {
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const { logout } = useAuth();
  const notify = useNotify();
  const navigate = useNavigate();

  return (
    <>
      <IconButton
        aria-label={`Account menu for ${user.name}`}
        aria-haspopup="menu"
        onClick={(e) => {
          setAnchor(e.currentTarget);
        }}
      >
        <Avatar sx={{ width: 34, height: 34, bgcolor: "secondary.main", fontSize: 15 }}>
          {initials(user.name || user.email)}
        </Avatar>
      </IconButton>
      <Menu
        anchorEl={anchor}
        open={anchor !== null}
        onClose={() => {
          setAnchor(null);
        }}
        anchorOrigin={{ vertical: "bottom", horizontal: "right" }}
        transformOrigin={{ vertical: "top", horizontal: "right" }}
      >
        <Box sx={{ px: 2, py: 1, minWidth: 220 }}>
          <Typography sx={{ fontWeight: 600 }}>{user.name}</Typography>
          <Typography variant="body2" color="text.secondary">
            {user.email}
          </Typography>
        </Box>
        <Divider />
        <MenuItem
          onClick={() => {
            setAnchor(null);
            logout().then(
              () => void navigate("/login", { replace: true }),
              (e: unknown) => {
                notify.error(e);
              },
            );
          }}
        >
          <ListItemIcon>
            <LogoutIcon fontSize="small" />
          </ListItemIcon>
          Log out
        </MenuItem>
      </Menu>
    </>
  );
}
