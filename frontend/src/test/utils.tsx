import { ThemeProvider } from "@mui/material/styles";
import { AdapterDayjs } from "@mui/x-date-pickers/AdapterDayjs";
import { LocalizationProvider } from "@mui/x-date-pickers/LocalizationProvider";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { NotifierProvider } from "../components/common/Notifier";
import { theme } from "../theme";

export function renderWithProviders(ui: ReactElement) {
  return render(
    <ThemeProvider theme={theme}>
      <LocalizationProvider dateAdapter={AdapterDayjs}>
        <NotifierProvider>{ui}</NotifierProvider>
      </LocalizationProvider>
    </ThemeProvider>,
  );
}

/** What openapi-fetch resolves to, for mocked calls. */
export function answer(status: number, body: unknown): Promise<never> {
  const ok = status >= 200 && status < 300;
  return Promise.resolve({
    data: ok ? body : undefined,
    error: ok ? undefined : body,
    response: { ok, status } as Response,
  }) as Promise<never>;
}
