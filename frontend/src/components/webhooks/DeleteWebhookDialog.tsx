import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import { useState } from "react";
import { ApiError, describeError } from "../../api/problem";
import type { Webhook } from "../../api/types";
import { useDeleteWebhook } from "../../hooks/webhooks";

/** Confirms the deletion of a webhook (its delivery log goes with it). */
export default function DeleteWebhookDialog({
  orgId,
  webhook,
  onClose,
  onDeleted,
}: {
  orgId: string;
  webhook: Webhook;
  onClose: () => void;
  /** Deleted, or already gone (`missing`). */
  onDeleted: (missing: boolean) => void;
}) {
  const remove = useDeleteWebhook(orgId);
  const [error, setError] = useState<string | null>(null);
  const busy = remove.isPending;
  return (
    <Dialog open onClose={busy ? undefined : onClose} maxWidth="xs" fullWidth aria-labelledby="delete-webhook-title">
      <DialogTitle id="delete-webhook-title">Delete webhook?</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ overflowWrap: "anywhere" }}>
          Events will no longer be sent to <strong>{webhook.url}</strong>, and its delivery log is
          deleted. This cannot be undone. To stop the events for a while, disable the webhook
          instead.
        </DialogContentText>
        {error && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="error"
          variant="contained"
          loading={busy}
          onClick={() => {
            setError(null);
            remove.mutate(webhook.id, {
              onSuccess: () => {
                onDeleted(false);
              },
              onError: (err) => {
                if (err instanceof ApiError && err.status === 404) onDeleted(true);
                else setError(describeError(err));
              },
            });
          }}
        >
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
