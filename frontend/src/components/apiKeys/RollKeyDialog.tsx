import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import InputAdornment from "@mui/material/InputAdornment";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { DatePicker } from "@mui/x-date-pickers/DatePicker";
import type { Dayjs } from "dayjs";
import { useMemo, useState, type SyntheticEvent } from "react";
import { ApiError, formErrors } from "../../api/problem";
import type { ApiKey } from "../../api/types";
import { useRollKey } from "../../hooks/apiKeys";
import {
  checkExpiration,
  expirationBounds,
  expirationMessage,
  formatDate,
  localeDateFormat,
} from "../../lib/dates";
import { MAX_OVERLAP_HOURS, overlapSentence, parseOverlap, rollBody } from "../../lib/roll";
import { useConfig } from "../common/ConfigContext";
import SecretDialog from "./SecretDialog";

type Field = "overlapHours" | "expirationDate";
type Errors = Partial<Record<Field, string>>;

interface Props {
  orgId: string;
  apiKey: ApiKey;
  /** Cancelled: nothing changed. */
  onClose: () => void;
  /** Rolled, and the new secret's dialog closed (the secret is gone by then). */
  onRolled: (title: string) => void;
  /** The key no longer exists (404). */
  onMissing: () => void;
}

/**
 * "Roll key": a new secret replaces the current one, which may keep working for up to 72 hours
 * so that its users can switch over; optionally a new expiration date. Then the new secret,
 * shown once, as after Add Key: it exists only in the roll mutation's result, reset on OK.
 */
export default function RollKeyDialog({ orgId, apiKey, onClose, onRolled, onMissing }: Props) {
  const { maxKeyLifetimeDays } = useConfig();
  const [overlap, setOverlap] = useState("0");
  const [expiration, setExpiration] = useState<Dayjs | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const roll = useRollKey(orgId);
  const busy = roll.isPending;
  const bounds = useMemo(() => expirationBounds(maxKeyLifetimeDays), [maxKeyLifetimeDays]);
  const dateFormat = useMemo(() => localeDateFormat(), []);
  const parsed = parseOverlap(overlap);
  const expired = apiKey.status === "expired";

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    setGeneral(null);
    const e: Errors = {};
    if ("error" in parsed) e.overlapHours = parsed.error;
    // An expired key needs a new date (it would stay expired); otherwise the date is optional.
    if (expiration || expired) {
      const problem = checkExpiration(expiration, maxKeyLifetimeDays);
      if (problem) {
        e.expirationDate =
          problem === "required"
            ? "The key has expired: choose a new expiration date to roll it."
            : expirationMessage(problem, maxKeyLifetimeDays);
      }
    }
    setErrors(e);
    if (Object.keys(e).length > 0 || "error" in parsed) return;
    roll.mutate(
      { keyId: apiKey.id, body: rollBody(parsed.hours, expiration) },
      {
        onError: (err: unknown) => {
          if (err instanceof ApiError && err.status === 404) {
            onMissing();
            return;
          }
          const shown = formErrors<Field>(
            err,
            { overlapHours: "overlapHours", expirationDate: "expirationDate" },
            { overlapHours: "The overlap", expirationDate: "Expiration date" },
          );
          setErrors(shown.errors);
          setGeneral(shown.general);
        },
      },
    );
  };

  if (roll.data) {
    const rolled = roll.data;
    return (
      <SecretDialog
        heading="API key rolled"
        title={rolled.title}
        secret={rolled.secret}
        intro={
          <>
            The key <strong>{rolled.title}</strong> has a new secret. Use it wherever the old one was
            used:
          </>
        }
        fieldLabel="New secret key"
        copyLabel="Copy new secret"
        onClose={() => {
          roll.reset();
          onRolled(rolled.title);
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
      aria-labelledby="roll-key-title"
      slotProps={{ paper: { component: "form", onSubmit: submit, noValidate: true } as object }}
    >
      <DialogTitle id="roll-key-title">Roll key</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 2 }}>
          Rolling <strong>{apiKey.title}</strong> gives it a new secret, which replaces the current
          one. The key keeps its ID, role, email address and resources. The new secret is shown
          once, after you roll the key.
        </DialogContentText>
        {general && (
          <Alert severity="error" sx={{ mb: 2 }}>
            {general}
          </Alert>
        )}
        <Stack spacing={2.5} sx={{ pt: 1 }}>
          <TextField
            label="Keep the old secret working for"
            type="number"
            fullWidth
            autoFocus
            value={overlap}
            onChange={(e) => {
              setOverlap(e.target.value);
              if (errors.overlapHours) setErrors((x) => ({ ...x, overlapHours: undefined }));
            }}
            error={Boolean(errors.overlapHours)}
            helperText={
              errors.overlapHours ??
              `${"hours" in parsed ? overlapSentence(parsed.hours) : ""} From 0 to ${MAX_OVERLAP_HOURS} hours, to give the key's users time to switch.`.trim()
            }
            slotProps={{
              htmlInput: { min: 0, max: MAX_OVERLAP_HOURS, step: 1, inputMode: "numeric" },
              input: { endAdornment: <InputAdornment position="end">hours</InputAdornment> },
            }}
          />
          <DatePicker
            label="New expiration date"
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
              field: { clearable: true },
              textField: {
                fullWidth: true,
                required: expired,
                error: Boolean(errors.expirationDate),
                helperText:
                  errors.expirationDate ??
                  (expired
                    ? `Required: the key expired on ${formatDate(apiKey.expirationDate)}. At most ${maxKeyLifetimeDays} days from today.`
                    : `Optional: leave empty to keep ${formatDate(apiKey.expirationDate)}. At most ${maxKeyLifetimeDays} days from today.`),
              },
            }}
          />
        </Stack>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="contained" loading={busy}>
          Roll key
        </Button>
      </DialogActions>
    </Dialog>
  );
}
