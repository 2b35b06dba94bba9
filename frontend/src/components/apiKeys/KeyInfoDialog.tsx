import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Typography from "@mui/material/Typography";
import { useQuery } from "@tanstack/react-query";
import Skeleton from "@mui/material/Skeleton";
import { lazy, Suspense, type ReactNode } from "react";
import { api, unwrap } from "../../api/client";
import { describeError } from "../../api/problem";
import { queryKeys } from "../../api/queries";
import type { ApiKey } from "../../api/types";
import { formatDate, formatDateTime } from "../../lib/dates";
import { keyStatusColor, keyStatusLabel } from "../../lib/keyStatus";
import { roleLabel } from "../../lib/labels";
import CopyButton from "../common/CopyButton";
import { useNotify } from "../common/Notifier";
import { USAGE_DAYS } from "../../lib/usage";

// The charts library loads with the first chart, not with the API Keys page.
const UsageChart = lazy(() => import("./UsageChart"));

/** How often the open dialog asks again for the usage (the server flushes its counts every few seconds). */
const USAGE_REFRESH_MS = 10_000;

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <Typography component="dt" color="text.secondary" sx={{ fontWeight: 500 }}>
        {label}
      </Typography>
      <Box component="dd" sx={{ m: 0, minWidth: 0, display: "flex", alignItems: "center", gap: 1, overflowWrap: "anywhere" }}>
        {children}
      </Box>
    </>
  );
}

/**
 * "View information": title, creator, role, email address (copyable), expiration date and status,
 * when the secret was last rolled, when it was last used and from where, and the requests of
 * the last 30 days.
 */
export default function KeyInfoDialog({
  orgId,
  initial,
  onClose,
}: {
  orgId: string;
  initial: ApiKey;
  onClose: () => void;
}) {
  const notify = useNotify();
  // The row from the list is shown at once; the key as it is now replaces it when it arrives.
  const detail = useQuery({
    queryKey: queryKeys.apiKey(orgId, initial.id),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/organizations/{orgId}/api-keys/{keyId}", {
          params: { path: { orgId, keyId: initial.id } },
          signal,
        }),
      ),
    placeholderData: initial,
    staleTime: 0,
  });
  const usage = useQuery({
    queryKey: queryKeys.keyUsage(orgId, initial.id, USAGE_DAYS),
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/organizations/{orgId}/api-keys/{keyId}/usage", {
          params: { path: { orgId, keyId: initial.id }, query: { days: USAGE_DAYS } },
          signal,
        }),
      ),
    staleTime: 0,
    refetchInterval: USAGE_REFRESH_MS,
  });
  const key = detail.data ?? initial;
  const loading = detail.isFetching;
  const error = detail.error && !detail.isFetching ? describeError(detail.error) : null;
  // The usage answer is the fresher of the two (it is asked for again while the dialog is open).
  const lastUsed = usage.data ? usage.data.lastUsedDate : key.lastUsedDate;
  const lastAddress = usage.data ? usage.data.lastUsedAddress : key.lastUsedAddress;

  return (
    <Dialog open onClose={onClose} maxWidth="md" fullWidth aria-labelledby="key-info-title">
      <DialogTitle id="key-info-title" sx={{ display: "flex", alignItems: "center", gap: 1 }}>
        Key information
        {loading && <CircularProgress size={18} aria-label="Loading" />}
      </DialogTitle>
      <DialogContent>
        {error && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {error}
          </Alert>
        )}
        <Box
          component="dl"
          sx={{ display: "grid", gridTemplateColumns: { xs: "140px 1fr", sm: "210px 1fr" }, rowGap: 1.5, columnGap: 2, m: 0, alignItems: "center" }}
        >
          <Row label="Title">
            <Typography sx={{ fontWeight: 600 }}>{key.title}</Typography>
          </Row>
          <Row label="Creator">
            <span>
              {key.createdBy.name}
              {key.createdBy.email && (
                <Typography component="span" color="text.secondary">
                  {" "}
                  ({key.createdBy.email})
                </Typography>
              )}
            </span>
          </Row>
          <Row label="Role">{roleLabel(key.role)}</Row>
          <Row label="Email address">
            <Typography component="span" sx={{ fontFamily: "monospace", fontSize: 14 }} data-testid="key-email">
              {key.email}
            </Typography>
            <CopyButton
              text={key.email}
              label="Copy email address"
              onCopied={() => {
                notify.success("Email address copied to the clipboard.");
              }}
              onFailed={() => {
                notify.error("Could not copy the email address.");
              }}
            />
          </Row>
          <Row label="Expiration date">
            {formatDate(key.expirationDate)}
            {key.status !== "active" && (
              <Chip size="small" color={keyStatusColor(key.status)} variant="outlined" label={keyStatusLabel(key.status)} />
            )}
          </Row>
          {key.lastRolledDate && <Row label="Last rolled">{formatDateTime(key.lastRolledDate)}</Row>}
          {key.previousSecretValidUntil && (
            <Row label="Previous secret works until">
              {formatDateTime(key.previousSecretValidUntil)}
              {/* As of when the key was read (render stays pure). */}
              {new Date(key.previousSecretValidUntil).getTime() <= detail.dataUpdatedAt && (
                <Chip size="small" variant="outlined" label="No longer works" />
              )}
            </Row>
          )}
          <Row label="Last used">
            {lastUsed ? (
              formatDateTime(lastUsed)
            ) : (
              <Typography component="span" color="text.secondary">
                Never
              </Typography>
            )}
          </Row>
          {lastAddress && (
            <Row label="From">
              <Typography component="span" sx={{ fontFamily: "monospace", fontSize: 14 }}>
                {lastAddress}
              </Typography>
            </Row>
          )}
        </Box>
        <Suspense fallback={<Skeleton variant="rounded" height={220} sx={{ mt: 3 }} aria-label="Loading the usage" />}>
          <UsageChart
            usage={usage.data}
            loading={usage.isPending}
            error={usage.error}
            onRetry={() => {
              void usage.refetch();
            }}
          />
        </Suspense>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} variant="contained">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
