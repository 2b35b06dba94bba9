import CheckIcon from "@mui/icons-material/Check";
import ContentCopyIcon from "@mui/icons-material/ContentCopy";
import IconButton from "@mui/material/IconButton";
import Tooltip from "@mui/material/Tooltip";
import { useEffect, useState } from "react";

/** Copies text to the clipboard; falls back to a hidden textarea where the API is missing. */
export async function copyText(text: string): Promise<void> {
  // navigator.clipboard exists in secure contexts (https, localhost) only.
  if (typeof navigator !== "undefined" && "clipboard" in navigator) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission refused: try the legacy path below.
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- fallback for non-secure origins
  const ok = document.execCommand("copy");
  document.body.removeChild(area);
  if (!ok) throw new Error("Copy failed");
}

interface Props {
  text: string;
  /** Accessible name, e.g. "Copy secret". */
  label: string;
  onCopied?: () => void;
  onFailed?: () => void;
}

export default function CopyButton({ text, label, onCopied, onFailed }: Props) {
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => {
      setCopied(false);
    }, 2500);
    return () => {
      clearTimeout(t);
    };
  }, [copied]);

  return (
    <Tooltip title={copied ? "Copied" : label}>
      <IconButton
        aria-label={label}
        onClick={() => {
          copyText(text).then(
            () => {
              setCopied(true);
              onCopied?.();
            },
            () => onFailed?.(),
          );
        }}
        color={copied ? "success" : "default"}
      >
        {copied ? <CheckIcon fontSize="small" /> : <ContentCopyIcon fontSize="small" />}
      </IconButton>
    </Tooltip>
  );
}
