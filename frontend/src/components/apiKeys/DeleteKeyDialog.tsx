import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormLabel from "@mui/material/FormLabel";
import MenuItem from "@mui/material/MenuItem";
import Radio from "@mui/material/Radio";
import RadioGroup from "@mui/material/RadioGroup";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "../../api/client";
import { ApiError, describeError } from "../../api/problem";
import { queryKeys } from "../../api/queries";
import type { ApiKey, DeletionPreview, DeletionResult } from "../../api/types";
import { useDeleteKey } from "../../hooks/apiKeys";
import { roleLabel, summarizeRefs } from "../../lib/labels";
import ResourceList from "./ResourceList";

type Choice = "transfer" | "delete";

function CoOwned({ refs }: { refs: DeletionPreview["coOwned"] }) {
  return (
    <ResourceList
      heading="Co-owned with other owners"
      description="The key is removed from their owners; the other owners keep them."
      refs={refs}
      testId="co-owned"
    />
  );
}

interface Props {
  orgId: string;
  apiKey: ApiKey;
  onClose: () => void;
  onDeleted: (result: DeletionResult) => void;
  /** The key was already gone (deleted elsewhere). */
  onMissing: () => void;
}

function previewFrom(body: Record<string, unknown>): DeletionPreview | null {
  const { soleOwned, coOwned, dependents, eligibleRecipients } = body;
  if (!Array.isArray(soleOwned) || !Array.isArray(eligibleRecipients)) return null;
  type Refs = DeletionPreview["soleOwned"];
  return {
    soleOwned: soleOwned as Refs,
    coOwned: (Array.isArray(coOwned) ? coOwned : []) as Refs,
    dependents: (Array.isArray(dependents) ? dependents : []) as Refs,
    eligibleRecipients: eligibleRecipients as DeletionPreview["eligibleRecipients"],
  };
}

/**
 * Delete a key: always irreversible. When the key is the only owner of resources, the
 * administrator picks who receives them — or explicitly chooses to delete them permanently.
 */
export default function DeleteKeyDialog({ orgId, apiKey, onClose, onDeleted, onMissing }: Props) {
  const queryClient = useQueryClient();
  const previewKey = queryKeys.deletionPreview(orgId, apiKey.id);
  // Always asked afresh when the dialog opens (gcTime 0: nothing kept once it closes).
  const previewQuery = useQuery({
    queryKey: previewKey,
    queryFn: ({ signal }) =>
      unwrap(
        api.GET("/api/v1/organizations/{orgId}/api-keys/{keyId}/deletion-preview", {
          params: { path: { orgId, keyId: apiKey.id } },
          signal,
        }),
      ),
    staleTime: 0,
    gcTime: 0,
  });
  const preview = previewQuery.data ?? null;
  const missing = previewQuery.error instanceof ApiError && previewQuery.error.status === 404;
  const loadError = previewQuery.error && !missing ? describeError(previewQuery.error) : null;
  // Never a destructive default: with no one to receive the resources, nothing is chosen.
  const [choice, setChoice] = useState<Choice | null>(null);
  const [recipientId, setRecipientId] = useState("");
  const deletion = useDeleteKey(orgId);
  const busy = deletion.isPending;
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (missing) onMissing();
  }, [missing, onMissing]);

  // A new preview (the first, or the one a 409 brought) starts the choice over.
  const [shownPreview, setShownPreview] = useState<DeletionPreview | null>(null);
  if (preview !== shownPreview) {
    setShownPreview(preview);
    setRecipientId("");
    setChoice(preview && preview.eligibleRecipients.length > 0 ? "transfer" : null);
  }

  const ownsResources = (preview?.soleOwned.length ?? 0) > 0;
  const canDelete =
    preview !== null && !busy && (!ownsResources || choice === "delete" || (choice === "transfer" && recipientId !== ""));
  const recipient = preview?.eligibleRecipients.find((m) => m.id === recipientId) ?? null;

  const confirm = () => {
    if (!preview || !canDelete) return;
    const query: { transferTo?: string; deleteResources?: boolean } = {};
    if (ownsResources) {
      if (choice === "transfer" && recipientId) query.transferTo = recipientId;
      else if (choice === "delete") query.deleteResources = true;
      else return;
    }
    setError(null);
    deletion.mutate(
      { keyId: apiKey.id, query },
      {
        onSuccess: (result) => {
          onDeleted(result);
        },
        onError: (e: unknown) => {
          if (e instanceof ApiError && e.code === "resources_owned") {
            // It came to own resources since the preview: show the new situation.
            const fresh = previewFrom(e.problem);
            if (fresh) queryClient.setQueryData<DeletionPreview>(previewKey, fresh);
            setError("This key now owns resources. Choose what happens to them, then delete again.");
          } else if (e instanceof ApiError && e.status === 404) {
            onMissing();
          } else {
            setError(describeError(e));
          }
        },
      },
    );
  };

  return (
    <Dialog open onClose={busy ? undefined : onClose} maxWidth="sm" fullWidth aria-labelledby="delete-key-title">
      <DialogTitle id="delete-key-title">Delete API key?</DialogTitle>
      <DialogContent>
        <DialogContentText component="div">
          <Typography component="p" sx={{ mb: 1 }}>
            You are about to delete <strong>{apiKey.title}</strong>.
          </Typography>
          <Alert severity="warning" sx={{ mb: 1 }}>
            Deleting an API key is irreversible. Anything using it is refused from now on, and its
            access permissions are removed.
          </Alert>
        </DialogContentText>

        {!preview && !loadError && (
          <Box sx={{ display: "flex", alignItems: "center", gap: 1.5, py: 2 }}>
            <CircularProgress size={20} aria-label="Checking what the key owns" />
            <Typography color="text.secondary">Checking what the key owns…</Typography>
          </Box>
        )}
        {loadError && <Alert severity="error">{loadError}</Alert>}

        {preview && !ownsResources && (
          <Typography sx={{ mt: 1 }} data-testid="owns-nothing">
            {preview.coOwned.length === 0
              ? "This key owns no resources."
              : "This key is not the only owner of any resource: its other owners keep them."}
          </Typography>
        )}
        {preview && !ownsResources && <CoOwned refs={preview.coOwned} />}


        {preview && ownsResources && (
          <>
            <ResourceList
              heading="Owned only by this key"
              description="Transfer them to a member, or they are deleted with the key."
              refs={preview.soleOwned}
              testId="sole-owned"
            />
            <ResourceList
              heading="Dependents deleted with them if they are not transferred"
              description="Layers and tables that depend on the resources above."
              refs={preview.dependents}
              testId="dependents"
            />
            <CoOwned refs={preview.coOwned} />
            <FormControl sx={{ mt: 3, width: "100%" }}>
              <FormLabel id="delete-choice-label" sx={{ fontWeight: 600, color: "text.primary" }}>
                What should happen to the resources only this key owns?
              </FormLabel>
              <RadioGroup
                aria-labelledby="delete-choice-label"
                value={choice ?? ""}
                onChange={(e) => {
                  setChoice(e.target.value as Choice);
                }}
              >
                <FormControlLabel
                  value="transfer"
                  control={<Radio />}
                  label="Transfer them to a member"
                  disabled={preview.eligibleRecipients.length === 0}
                />
                {choice === "transfer" && (
                  <Box sx={{ pl: 4, pb: 1 }}>
                    <TextField
                      select
                      label="New owner"
                      required
                      fullWidth
                      value={recipientId}
                      onChange={(e) => {
                        setRecipientId(e.target.value);
                      }}
                      helperText="Members with the Editor or Administrator role can own resources."
                      slotProps={{
                        select: {
                          renderValue: (id) => {
                            const m = preview.eligibleRecipients.find((r) => r.id === id);
                            return m ? `${m.name} (${m.email})` : "";
                          },
                        },
                      }}
                    >
                      {preview.eligibleRecipients.map((m) => (
                        <MenuItem key={m.id} value={m.id}>
                          <Box>
                            <Typography>
                              {m.name} <Typography component="span" color="text.secondary">· {roleLabel(m.role)}</Typography>
                            </Typography>
                            <Typography variant="body2" color="text.secondary">
                              {m.email}
                            </Typography>
                          </Box>
                        </MenuItem>
                      ))}
                    </TextField>
                    {recipient && (
                      <Alert severity="info" sx={{ mt: 1.5 }} data-testid="transfer-summary">
                        {recipient.name} becomes the owner of {summarizeRefs(preview.soleOwned)}.
                      </Alert>
                    )}
                  </Box>
                )}
                {preview.eligibleRecipients.length === 0 && (
                  <Typography variant="body2" color="text.secondary" sx={{ pl: 4, pb: 1 }}>
                    No member can receive them: only editors and administrators can own resources.
                  </Typography>
                )}
                <FormControlLabel
                  value="delete"
                  control={<Radio />}
                  label="Delete the resources permanently"
                />
              </RadioGroup>
            </FormControl>
            {choice === "delete" && (
              <Alert severity="error" sx={{ mt: 1 }} data-testid="deletion-warning">
                <Typography component="p" variant="body2" sx={{ mb: 0.5 }}>
                  These resources will be permanently deleted: {summarizeRefs(preview.soleOwned)}.
                  {preview.dependents.length > 0 &&
                    ` Their dependents will be deleted too: ${summarizeRefs(preview.dependents)}.`}{" "}
                  This cannot be undone.
                </Typography>
              </Alert>
            )}

          </>
        )}
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
        <Button color="error" variant="contained" onClick={confirm} disabled={!canDelete} loading={busy}>
          Delete
        </Button>
      </DialogActions>
    </Dialog>
  );
}
