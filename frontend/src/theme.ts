import { createTheme } from "@mui/material/styles";
import type {} from "@mui/x-data-grid/themeAugmentation";

export const theme = createTheme({
  palette: {
    mode: "light",
    primary: { main: "#3949ab" },
    secondary: { main: "#00897b" },
    background: { default: "#f5f6fa", paper: "#ffffff" },
  },
  shape: { borderRadius: 8 },
  typography: {
    fontFamily:
      'Inter, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif',
    h1: { fontSize: "1.6rem", fontWeight: 600 },
    h2: { fontSize: "1.25rem", fontWeight: 600 },
    button: { textTransform: "none", fontWeight: 600 },
  },
  components: {
    MuiAppBar: { defaultProps: { elevation: 0 } },
    MuiPaper: { defaultProps: { elevation: 0 } },
    MuiButton: { defaultProps: { disableElevation: true } },
    MuiDialogTitle: { styleOverrides: { root: { fontWeight: 600 } } },
    MuiDataGrid: {
      styleOverrides: {
        root: { border: "none", backgroundColor: "#fff" },
        columnHeaderTitle: { fontWeight: 600 },
      },
    },
  },
});
