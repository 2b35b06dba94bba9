import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import InputAdornment from "@mui/material/InputAdornment";
import Paper from "@mui/material/Paper";
import Skeleton from "@mui/material/Skeleton";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useQuery } from "@tanstack/react-query";
import { useState, type SyntheticEvent } from "react";
import { api, unwrap } from "../api/client";
import { ApiError, describeError, fieldErrors, fieldSentence } from "../api/problem";
import { queryKeys } from "../api/queries";
import type { OrgSettings } from "../api/types";
import { useMembership } from "../auth/OrgContext";
import AdminOnly from "../components/common/AdminOnly";
import { useNotify } from "../components/common/Notifier";
import PageHeader from "../components/common/PageHeader";
import { useUpdateSettings } from "../hooks/settings";
import { parseWarningDays, WARNING_DAYS_MAX, WARNING_DAYS_MIN } from "../lib/settings";

export default function SettingsPage() {
  const { organization } = useMembership();
  return (
    <AdminOnly page="Settings">
      <PageHeader title="Settings" subtitle={`Organization settings of ${organization.name}.`} />
      <SettingsView key={organization.id} orgId={organization.id} />
    </AdminOnly>
  );
}

function SettingsView({ orgId }: { orgId: string }) {
  const settings = useQuery({
    queryKey: queryKeys.settings(orgId),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/organizations/{orgId}/settings", { params: { path: { orgId } }, signal })),
    staleTime: 0,
  });

  if (settings.isPending) {
    return (
      <Paper variant="outlined" sx={{ p: 3, maxWidth: 720 }} aria-busy="true">
        <Skeleton width="40%" height={32} />
        <Skeleton width="80%" />
        <Skeleton variant="rounded" height={56} sx={{ mt: 2, maxWidth: 320 }} />
      </Paper>
    );
  }
  if (settings.isError) {
    return (
      <Alert
        severity="error"
        sx={{ maxWidth: 720 }}
        action={
          <Button
            color="inherit"
            size="small"
            onClick={() => {
              void settings.refetch();
            }}
          >
            Retry
          </Button>
        }
      >
        Could not load the settings: {describeError(settings.error)}
      </Alert>
    );
  }
  // Keyed by the saved value: after a save (or a change elsewhere) the form starts from it.
  return <SettingsForm key={settings.data.expiryWarningDays} orgId={orgId} saved={settings.data} />;
}

function SettingsForm({ orgId, saved }: { orgId: string; saved: OrgSettings }) {
  const notify = useNotify();
  const update = useUpdateSettings(orgId);
  const [days, setDays] = useState(String(saved.expiryWarningDays));
  const [error, setError] = useState<string | null>(null);
  const parsed = parseWarningDays(days);
  const changed = "days" in parsed ? parsed.days !== saved.expiryWarningDays : days.trim() !== String(saved.expiryWarningDays);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if ("error" in parsed) {
      setError(parsed.error);
      return;
    }
    setError(null);
    update.mutate(
      { expiryWarningDays: parsed.days },
      {
        onSuccess: (data) => {
          notify.success(`Settings saved: keys are flagged ${data.expiryWarningDays} days before they expire.`);
        },
        onError: (err) => {
          if (err instanceof ApiError && err.status < 500) {
            const { byField, general } = fieldErrors(err.problem, { expiryWarningDays: "days" });
            setError(byField.days ? fieldSentence("The warning period", byField.days) : general);
          } else {
            notify.error(err);
          }
        },
      },
    );
  };

  return (
    <Paper
      variant="outlined"
      component="form"
      noValidate
      onSubmit={submit}
      sx={{ p: 3, maxWidth: 720 }}
      aria-labelledby="expiry-settings-heading"
    >
      <Typography id="expiry-settings-heading" variant="h2" component="h2" gutterBottom>
        Key expiry warnings
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 3 }}>
        Keys whose expiration date is this close show as <strong>Expiring soon</strong> on the API
        Keys page, are counted in its banner, and send the <code>api_key.expiring</code> webhook
        event.
      </Typography>
      <Box sx={{ display: "flex", gap: 2, alignItems: "flex-start", flexWrap: "wrap" }}>
        <TextField
          label="Warn before expiry"
          type="number"
          required
          value={days}
          onChange={(e) => {
            setDays(e.target.value);
            setError(null);
          }}
          error={Boolean(error)}
          helperText={error ?? `From ${WARNING_DAYS_MIN} to ${WARNING_DAYS_MAX} days.`}
          sx={{ width: 260 }}
          slotProps={{
            htmlInput: { min: WARNING_DAYS_MIN, max: WARNING_DAYS_MAX, step: 1, inputMode: "numeric" },
            input: { endAdornment: <InputAdornment position="end">days</InputAdornment> },
          }}
        />
        <Button type="submit" variant="contained" loading={update.isPending} disabled={!changed} sx={{ mt: 1 }}>
          Save
        </Button>
      </Box>
    </Paper>
  );
}
