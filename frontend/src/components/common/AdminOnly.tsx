import LockIcon from "@mui/icons-material/LockOutlined";
import Box from "@mui/material/Box";
import Paper from "@mui/material/Paper";
import Typography from "@mui/material/Typography";
import type { ReactNode } from "react";
import { useMembership } from "../../auth/OrgContext";
import { roleLabel } from "../../lib/labels";

/** Renders its children for administrators; everyone else gets a clear explanation. */
export default function AdminOnly({ page, children }: { page: string; children: ReactNode }) {
  const membership = useMembership();
  if (membership.role === "administrator") return <>{children}</>;
  return (
    <Paper variant="outlined" sx={{ p: { xs: 3, md: 6 }, textAlign: "center", maxWidth: 640, mx: "auto", mt: 4 }}>
      <Box
        sx={{
          width: 56,
          height: 56,
          borderRadius: "50%",
          bgcolor: "action.hover",
          display: "grid",
          placeItems: "center",
          mx: "auto",
          mb: 2,
        }}
      >
        <LockIcon color="action" />
      </Box>
      <Typography variant="h1" component="h1" gutterBottom>
        Administrators only
      </Typography>
      <Typography color="text.secondary">
        The {page} page is available to the administrators of{" "}
        <strong>{membership.organization.name}</strong>. Your role in this organization is{" "}
        {roleLabel(membership.role)}. Ask an administrator if you need access.
      </Typography>
    </Paper>
  );
}
