import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useState, type SyntheticEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { ApiError, describeError } from "../api/problem";
import { useAuth } from "../auth/AuthContext";
import { FullPageSpinner } from "../auth/guards";
import { homePath, preferredOrg } from "../auth/OrgContext";
import Logo from "../components/layout/Logo";

function safeFrom(state: unknown): string | null {
  if (typeof state !== "object" || state === null || !("from" in state)) return null;
  const from = state.from;
  // Only same-site paths: never an absolute URL handed over through history state.
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("//") ? from : null;
}

export default function LoginPage() {
  const { status, session, login, notice, clearNotice } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (status === "loading") return <FullPageSpinner label="Loading your session" />;
  if (status === "authenticated" && session && !busy) {
    return <Navigate to={safeFrom(location.state) ?? "/"} replace />;
  }

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setError(null);
    clearNotice();
    if (!email.trim() || !password) {
      setError("Enter your email address and password.");
      return;
    }
    setBusy(true);
    login(email.trim(), password).then(
      (s) => {
        const m = preferredOrg(s.user.id, s.memberships);
        const target = safeFrom(location.state) ?? (m ? homePath(m) : "/");
        setBusy(false);
        void navigate(target, { replace: true });
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof ApiError && err.status === 401) {
          setError("Incorrect email address or password.");
        } else if (err instanceof ApiError && err.status === 429) {
          setError("Too many attempts. Wait a minute, then try again.");
        } else {
          setError(describeError(err));
        }
      },
    );
  };

  return (
    <Box
      sx={{
        minHeight: "100vh",
        display: "grid",
        placeItems: "center",
        p: 2,
        background: "linear-gradient(160deg, #e8eaf6 0%, #f5f6fa 55%)",
      }}
    >
      <Paper variant="outlined" sx={{ width: "100%", maxWidth: 420, p: { xs: 3, sm: 5 } }}>
        <Box sx={{ mb: 3 }}>
          <Logo />
        </Box>
        <Typography variant="h1" gutterBottom>
          Log in
        </Typography>
        <Typography color="text.secondary" sx={{ mb: 3 }}>
          Manage your organization&apos;s API keys.
        </Typography>
        {notice && (
          <Alert severity="info" sx={{ mb: 2 }}>
            {notice}
          </Alert>
        )}
        {error && (
          <Alert severity="error" sx={{ mb: 2 }} role="alert">
            {error}
          </Alert>
        )}
        <Box component="form" noValidate onSubmit={submit} sx={{ display: "grid", gap: 2 }}>
          <TextField
            label="Email address"
            type="email"
            autoComplete="username"
            autoFocus
            required
            value={email}
            onChange={(e) => {
              setEmail(e.target.value);
            }}
          />
          <TextField
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
            }}
          />
          <Button type="submit" variant="contained" size="large" loading={busy}>
            Log in
          </Button>
        </Box>
      </Paper>
    </Box>
  );
}
