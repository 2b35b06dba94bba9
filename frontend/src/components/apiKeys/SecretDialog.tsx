import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import InputAdornment from "@mui/material/InputAdornment";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useState, type ReactNode } from "react";
import CopyButton from "../common/CopyButton";

interface Props {
  title: string;
  secret: string;
  /** Closing drops the secret: the parent must forget it. */
  onClose: () => void;
  /** The dialog's title (a new key by default; "API key rolled", "Webhook added"…). */
  heading?: string;
  /** The sentence above the secret; by default about a newly created key. */
  intro?: ReactNode;
  /** The secret field's label, also its accessible name. */
  fieldLabel?: string;
  /** The copy button's accessible name. */
  copyLabel?: string;
  warning?: ReactNode;
}

/** Shows a secret (a new or rolled key's, a webhook's signing secret), the only time it is ever shown. */
export default function SecretDialog({
  title,
  secret,
  onClose,
  heading = "API key created",
  intro,
  fieldLabel = "Secret key",
  copyLabel = "Copy secret",
  warning,
}: Props) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <Dialog open maxWidth="sm" fullWidth aria-labelledby="secret-title">
      <DialogTitle id="secret-title">{heading}</DialogTitle>
      <DialogContent>
        <Typography sx={{ mb: 2 }}>
          {intro ?? (
            <>
              The key <strong>{title}</strong> has been created. Here is its secret:
            </>
          )}
        </Typography>
        <TextField
          label={fieldLabel}
          value={secret}
          fullWidth
          onFocus={(e) => {
            e.target.select();
          }}
          slotProps={{
            htmlInput: {
              readOnly: true,
              spellCheck: false,
              style: { fontFamily: "monospace", fontSize: 15 },
            },
            input: {
              endAdornment: (
                <InputAdornment position="end">
                  <CopyButton
                    text={secret}
                    label={copyLabel}
                    onCopied={() => {
                      setCopied("yes");
                    }}
                    onFailed={() => {
                      setCopied("failed");
                    }}
                  />
                </InputAdornment>
              ),
            },
          }}
        />
        <Box sx={{ minHeight: 28, mt: 1 }} role="status" aria-live="polite">
          {copied === "yes" && (
            <Typography variant="body2" color="success.main">
              Copied to the clipboard.
            </Typography>
          )}
          {copied === "failed" && (
            <Typography variant="body2" color="error">
              Could not copy: select the secret and copy it yourself.
            </Typography>
          )}
        </Box>
        <Alert severity="warning" sx={{ mt: 1 }}>
          {warning ?? (
            <>
              This key is private: keep it secret, like a password. Copy it now — it will not be
              shown again after you close this window.
            </>
          )}
        </Alert>
      </DialogContent>
      <DialogActions sx={{ px: 3, pb: 2 }}>
        <Button variant="contained" onClick={onClose}>
          OK
        </Button>
      </DialogActions>
    </Dialog>
  );
}
