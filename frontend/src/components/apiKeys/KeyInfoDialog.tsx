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
import type { ReactNode } from "react";
import { api, unwrap } from "../../api/client";
import { describeError } from "../../api/problem";
import { queryKeys } from "../../api/queries";
import type { ApiKey } from "../../api/types";
import { formatDate } from "../../lib/dates";
import { roleLabel } from "../../lib/labels";
import CopyButton from "../common/CopyButton";
import { useNotify } from "../common/Notifier";

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

/** "View information": title, creator, role, email address (copyable), expiration date. */
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
  const key = detail.data ?? initial;
  const loading = detail.isFetching;
  const error = detail.error && !detail.isFetching ? describeError(detail.error) : null;

  return (
    <Dialog open onClose={onClose} maxWidth="sm" fullWidth aria-labelledby="key-info-title">
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
          sx={{ display: "grid", gridTemplateColumns: "140px 1fr", rowGap: 2, columnGap: 2, m: 0, alignItems: "center" }}
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
            {key.status === "expired" && <Chip size="small" color="error" variant="outlined" label="Expired" />}
          </Row>
        </Box>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} variant="contained">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}
