import Alert, { type AlertColor } from "@mui/material/Alert";
import Snackbar from "@mui/material/Snackbar";
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import { ApiError, describeError } from "../../api/problem";

interface Toast {
  id: number;
  message: string;
  severity: AlertColor;
}

export interface Notify {
  success: (message: string) => void;
  info: (message: string) => void;
  error: (messageOrError: unknown) => void;
}

const NotifyContext = createContext<Notify | null>(null);

/** One place for toasts: the latest message replaces the previous one. */
export function NotifierProvider({ children }: { children: ReactNode }) {
  const [toast, setToast] = useState<Toast | null>(null);
  const [open, setOpen] = useState(false);

  const show = useCallback((message: string, severity: AlertColor) => {
    setToast({ id: Date.now(), message, severity });
    setOpen(true);
  }, []);

  const notify = useMemo<Notify>(
    () => ({
      success: (m) => {
        show(m, "success");
      },
      info: (m) => {
        show(m, "info");
      },
      error: (e) => {
        // A 401 is the session layer's business: it sends the user to the login page.
        if (e instanceof ApiError && e.status === 401) return;
        show(typeof e === "string" ? e : describeError(e), "error");
      },
    }),
    [show],
  );

  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <Snackbar
        key={toast?.id}
        open={open}
        autoHideDuration={toast?.severity === "error" ? 10000 : 6000}
        onClose={(_, reason) => {
          if (reason !== "clickaway") setOpen(false);
        }}
        anchorOrigin={{ vertical: "bottom", horizontal: "center" }}
      >
        <Alert
          variant="filled"
          severity={toast?.severity ?? "info"}
          onClose={() => {
            setOpen(false);
          }}
          sx={{ minWidth: 320, maxWidth: 640 }}
          data-testid="toast"
        >
          {toast?.message}
        </Alert>
      </Snackbar>
    </NotifyContext.Provider>
  );
}

export function useNotify(): Notify {
  const ctx = useContext(NotifyContext);
  if (!ctx) throw new Error("useNotify outside NotifierProvider");
  return ctx;
}
