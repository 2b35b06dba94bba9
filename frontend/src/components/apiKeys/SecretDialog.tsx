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
import { useState } from "react";
import CopyButton from "../common/CopyButton";

interface Props {
  title: string;
  secret: string;
  /** Closing drops the secret: the parent must forget it. */
  onClose: () => void;
}

/** Shows a new key's secret, the only time it is ever shown. */
export default function SecretDialog({ title, secret, onClose }: Props) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <Dialog open maxWidth="sm" fullWidth aria-labelledby="secret-title">
      <DialogTitle id="secret-title">API key created</DialogTitle>
      <DialogContent>
        <Typography sx={{ mb: 2 }}>
          The key <strong>{title}</strong> has been created. Here is its secret:
        </Typography>
        <TextField
          label="Secret key"
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
                    label="Copy secret"
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
          This key is private: keep it secret, like a password. Copy it now — it will not be shown
          again after you close this window.
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
