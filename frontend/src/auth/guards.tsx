import Box from "@mui/material/Box";
import CircularProgress from "@mui/material/CircularProgress";
import { Navigate, Outlet, useLocation } from "react-router";
import { useAuth } from "./AuthContext";
import { homePath, preferredOrg } from "./OrgContext";
import NotFoundPage from "../pages/NotFoundPage";

export function FullPageSpinner({ label }: { label: string }) {
  return (
    <Box sx={{ display: "grid", placeItems: "center", minHeight: "60vh" }}>
      <CircularProgress aria-label={label} />
    </Box>
  );
}

/** Everything but the login page: a session is needed, else go log in (and come back). */
export function RequireAuth() {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "loading") return <FullPageSpinner label="Loading your session" />;
  if (status === "anonymous") {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return <Outlet />;
}

export function HomeRedirect() {
  const { session } = useAuth();
  if (!session) return null;
  const m = preferredOrg(session.user.id, session.memberships);
  if (!m) {
    return (
      <NotFoundPage
        title="No organization yet"
        message="Your account is not a member of any organization. Ask an administrator to add you."
      />
    );
  }
  return <Navigate to={homePath(m)} replace />;
}
