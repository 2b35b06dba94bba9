import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormGroup from "@mui/material/FormGroup";
import FormHelperText from "@mui/material/FormHelperText";
import FormLabel from "@mui/material/FormLabel";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useState, type SyntheticEvent } from "react";
import { formErrors } from "../../api/problem";
import type { WebhookEvent } from "../../api/types";
import { useCreateWebhook } from "../../hooks/webhooks";
import { ALL_EVENTS, checkWebhookUrl, urlMessage, WEBHOOK_EVENTS } from "../../lib/webhooks";
import SecretDialog from "../apiKeys/SecretDialog";

type Field = "url" | "description" | "events";
type Errors = Partial<Record<Field, string>>;

const DESCRIPTION_MAX = 500;
const URL_MAX = 2000;

interface Props {
  orgId: string;
  onClose: () => void;
  /** Added, and its signing secret's dialog closed (the secret is gone by then). */
  onCreated: (url: string) => void;
}

/**
 * "Add webhook": URL*, description, the events to send (all by default); then the signing secret,
 * shown once. The secret lives only in the create mutation's result, reset on OK.
 */
export default function AddWebhookDialog({ orgId, onClose, onCreated }: Props) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(ALL_EVENTS);
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const create = useCreateWebhook(orgId);
  const busy = create.isPending;

  const toggle = (event: WebhookEvent, on: boolean) => {
    setEvents((list) => (on ? ALL_EVENTS.filter((e) => e === event || list.includes(e)) : list.filter((e) => e !== event)));
    if (errors.events) setErrors((x) => ({ ...x, events: undefined }));
  };

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setGeneral(null);
    const errs: Errors = {};
    const problem = checkWebhookUrl(url);
    if (problem) errs.url = urlMessage(problem);
    if (events.length === 0) errs.events = "Choose at least one event.";
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    create.mutate(
      { url: url.trim(), description: description.trim(), events },
      {
        onError: (err: unknown) => {
          const shown = formErrors<Field>(
            err,
            { url: "url", description: "description", events: "events" },
            { url: "URL", description: "Description", events: "Events" },
          );
          setErrors(shown.errors);
          setGeneral(shown.general);
        },
      },
    );
  };

  if (create.data) {
    const created = create.data;
    return (
      <SecretDialog
        heading="Webhook added"
        title={created.url}
        secret={created.secret}
        intro={
          <>
            Events for <strong style={{ overflowWrap: "anywhere" }}>{created.url}</strong> are signed
            with this secret. Use it to check that a request comes from Keyhouse:
          </>
        }
        fieldLabel="Signing secret"
        copyLabel="Copy signing secret"
        warning={
          <>
            This signing secret is private: store it with the receiving service. Copy it now — it
            will not be shown again after you close this window.
          </>
        }
        onClose={() => {
          create.reset();
          onCreated(created.url);
        }}
      />
    );
  }

  return (
    <Dialog
      open
      onClose={busy ? undefined : onClose}
      maxWidth="sm"
      fullWidth
      aria-labelledby="add-webhook-title"
      slotProps={{ paper: { component: "form", onSubmit: submit, noValidate: true } as object }}
    >
      <DialogTitle id="add-webhook-title">Add webhook</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>
          Keyhouse sends a signed POST request to this URL when something happens to the
          organization&apos;s API keys. Fields marked with an asterisk (*) are required.
        </DialogContentText>
        {general && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {general}
          </Alert>
        )}
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          <TextField
            label="URL"
            required
            autoFocus
            fullWidth
            type="url"
            value={url}
            placeholder="https://example.com/hooks/keyhouse"
            onChange={(e) => {
              setUrl(e.target.value);
              if (errors.url) setErrors((x) => ({ ...x, url: undefined }));
            }}
            error={Boolean(errors.url)}
            helperText={errors.url ?? "Where the events are sent: an https:// address (http:// only to this machine, for testing)."}
            slotProps={{ htmlInput: { maxLength: URL_MAX, spellCheck: false } }}
          />
          <TextField
            label="Description"
            fullWidth
            value={description}
            onChange={(e) => {
              setDescription(e.target.value);
              if (errors.description) setErrors((x) => ({ ...x, description: undefined }));
            }}
            error={Boolean(errors.description)}
            helperText={errors.description ?? "Optional: what receives the events, who runs it."}
            slotProps={{ htmlInput: { maxLength: DESCRIPTION_MAX } }}
          />
          <FormControl component="fieldset" error={Boolean(errors.events)} variant="standard">
            <FormLabel component="legend" sx={{ mb: 0.5 }}>
              Events
            </FormLabel>
            <FormGroup>
              {WEBHOOK_EVENTS.map((ev) => (
                <FormControlLabel
                  key={ev.value}
                  control={
                    <Checkbox
                      size="small"
                      checked={events.includes(ev.value)}
                      onChange={(e) => {
                        toggle(ev.value, e.target.checked);
                      }}
                    />
                  }
                  label={
                    <span>
                      <Typography component="span" sx={{ fontFamily: "monospace", fontSize: 14 }}>
                        {ev.value}
                      </Typography>
                      <Typography component="span" variant="body2" color="text.secondary">
                        {" "}
                        — {ev.description}
                      </Typography>
                    </span>
                  }
                />
              ))}
            </FormGroup>
            {errors.events && <FormHelperText>{errors.events}</FormHelperText>}
          </FormControl>
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="contained" loading={busy}>
          Add webhook
        </Button>
      </DialogActions>
    </Dialog>
  );
}
