import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { DatePicker } from "@mui/x-date-pickers/DatePicker";
import type { Dayjs } from "dayjs";
import { useMemo, useState, type SyntheticEvent } from "react";
import { formErrors } from "../../api/problem";
import type { KeyRole } from "../../api/types";
import { useCreateKey } from "../../hooks/apiKeys";
import {
  checkExpiration,
  expirationBounds,
  expirationMessage,
  localeDateFormat,
} from "../../lib/dates";
import { useConfig } from "../common/ConfigContext";
import SecretDialog from "./SecretDialog";

type Field = "title" | "expirationDate" | "role";
type Errors = Partial<Record<Field, string>>;

const TITLE_MAX = 100;

interface Props {
  orgId: string;
  /** Cancelled before anything was created. */
  onClose: () => void;
  /** The key was created and its secret dialog closed (the secret is gone by then). */
  onCreated: (title: string) => void;
}

/**
 * "Add Key": Name*, Expiration date*, Role* (Editor or Viewer), then the new key's secret.
 * Rendered only while open. The secret exists only in the create mutation's result, shown by
 * the secret dialog; OK resets the mutation, which drops it.
 */
export default function AddKeyDialog({ orgId, onClose, onCreated }: Props) {
  const { maxKeyLifetimeDays } = useConfig();
  const [title, setTitle] = useState("");
  const [expiration, setExpiration] = useState<Dayjs | null>(null);
  const [role, setRole] = useState<KeyRole | "">("");
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const create = useCreateKey(orgId);
  const busy = create.isPending;
  const bounds = useMemo(() => expirationBounds(maxKeyLifetimeDays), [maxKeyLifetimeDays]);
  const dateFormat = useMemo(() => localeDateFormat(), []);

  const validate = (): Errors => {
    const e: Errors = {};
    const t = title.trim();
    if (!t) e.title = "Enter a name for the key.";
    else if (t.length > TITLE_MAX) e.title = `At most ${TITLE_MAX} characters.`;
    const dateProblem = checkExpiration(expiration, maxKeyLifetimeDays);
    if (dateProblem) e.expirationDate = expirationMessage(dateProblem, maxKeyLifetimeDays);
    if (!role) e.role = "Choose a role.";
    return e;
  };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setGeneral(null);
    const e = validate();
    setErrors(e);
    if (Object.keys(e).length > 0 || !expiration || !role) return;
    create.mutate(
      { title: title.trim(), expirationDate: expiration.format("YYYY-MM-DD"), role },
      {
        onError: (err: unknown) => {
          const shown = formErrors<Field>(
            err,
            { title: "title", name: "title", expirationDate: "expirationDate", role: "role" },
            { title: "Name", expirationDate: "Expiration date", role: "Role" },
            { title_taken: "title" },
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
        title={created.title}
        secret={created.secret}
        onClose={() => {
          create.reset();
          onCreated(created.title);
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
      aria-labelledby="add-key-title"
      slotProps={{ paper: { component: "form", onSubmit: submit, noValidate: true } as object }}
    >
      <DialogTitle id="add-key-title">Add Key</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>
          The key acts as a member of the organization with the role you choose. Fields marked with
          an asterisk (*) are required.
        </DialogContentText>
        {general && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {general}
          </Alert>
        )}
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          <TextField
            label="Name"
            required
            autoFocus
            fullWidth
            value={title}
            onChange={(e) => {
              setTitle(e.target.value);
              if (errors.title) setErrors((x) => ({ ...x, title: undefined }));
            }}
            error={Boolean(errors.title)}
            helperText={errors.title ?? "For example: the service or script that will use the key."}
            slotProps={{ htmlInput: { maxLength: TITLE_MAX + 20 } }}
          />
          <DatePicker
            label="Expiration date"
            value={expiration}
            format={dateFormat}
            minDate={bounds.min}
            maxDate={bounds.max}
            disablePast
            onChange={(v) => {
              setExpiration(v);
              if (errors.expirationDate) setErrors((x) => ({ ...x, expirationDate: undefined }));
            }}
            slotProps={{
              textField: {
                required: true,
                fullWidth: true,
                error: Boolean(errors.expirationDate),
                helperText:
                  errors.expirationDate ??
                  `At most ${maxKeyLifetimeDays} days from today. The key works until the end of that day (UTC).`,
              },
            }}
          />
          <TextField
            select
            label="Role"
            required
            fullWidth
            value={role}
            onChange={(e) => {
              setRole(e.target.value as KeyRole);
              if (errors.role) setErrors((x) => ({ ...x, role: undefined }));
            }}
            error={Boolean(errors.role)}
            helperText={errors.role ?? "API keys can be editors or viewers, never administrators."}
          >
            <MenuItem value="editor">Editor</MenuItem>
            <MenuItem value="viewer">Viewer</MenuItem>
          </TextField>
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="contained" loading={busy}>
          Create
        </Button>
      </DialogActions>
    </Dialog>
  );
}
