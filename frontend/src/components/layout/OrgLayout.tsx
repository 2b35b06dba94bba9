import AppBar from "@mui/material/AppBar";
import Box from "@mui/material/Box";
import Drawer from "@mui/material/Drawer";
import Toolbar from "@mui/material/Toolbar";
import { useEffect } from "react";
import { Outlet, useParams } from "react-router";
import { useSession } from "../../auth/AuthContext";
import { OrgContext, rememberOrg } from "../../auth/OrgContext";
import NotFoundPage from "../../pages/NotFoundPage";
import Logo from "./Logo";
import NavMenu from "./NavMenu";
import OrgSwitcher from "./OrgSwitcher";
import UserMenu from "./UserMenu";

export const DRAWER_WIDTH = 248;

export default function OrgLayout() {
  const { slug } = useParams();
  const session = useSession();
  const membership = session.memberships.find((m) => m.organization.slug === slug) ?? null;

  useEffect(() => {
    if (membership) rememberOrg(session.user.id, membership.organization.slug);
  }, [membership, session.user.id]);

  return (
    <Box sx={{ display: "flex", minHeight: "100vh" }}>
      <AppBar
        position="fixed"
        color="inherit"
        sx={{
          zIndex: (t) => t.zIndex.drawer + 1,
          borderBottom: 1,
          borderColor: "divider",
          bgcolor: "background.paper",
        }}
      >
        <Toolbar sx={{ gap: 2 }}>
          <Logo />
          <Box sx={{ flexGrow: 1 }}>
            {membership && <OrgSwitcher current={membership} memberships={session.memberships} />}
          </Box>
          <UserMenu user={session.user} />
        </Toolbar>
      </AppBar>
      <Drawer
        variant="permanent"
        sx={{
          width: DRAWER_WIDTH,
          flexShrink: 0,
          "& .MuiDrawer-paper": {
            width: DRAWER_WIDTH,
            boxSizing: "border-box",
            borderRight: 1,
            borderColor: "divider",
          },
        }}
      >
        <Toolbar />
        {membership && <NavMenu membership={membership} />}
      </Drawer>
      <Box component="main" sx={{ flexGrow: 1, minWidth: 0, p: { xs: 2, md: 4 } }}>
        <Toolbar />
        {membership ? (
          <OrgContext.Provider value={membership}>
            <Outlet />
          </OrgContext.Provider>
        ) : (
          <NotFoundPage
            title="Organization not found"
            message="This organization does not exist, or you are not one of its members."
          />
        )}
      </Box>
    </Box>
  );
}
