import InboxIcon from "@mui/icons-material/InboxOutlined";
import Box from "@mui/material/Box";
import Typography from "@mui/material/Typography";

declare module "@mui/x-data-grid" {
  interface NoRowsOverlayPropsOverrides {
    message?: string;
    hint?: string;
  }
}

export function EmptyOverlay({ message, hint }: { message?: string; hint?: string }) {
  return (
    <Box
      sx={{
        height: "100%",
        display: "flex",
        flexDirection: "column",
        alignItems: "center",
        justifyContent: "center",
        gap: 1,
        color: "text.secondary",
        p: 3,
        textAlign: "center",
      }}
    >
      <InboxIcon sx={{ fontSize: 40, color: "text.disabled" }} />
      <Typography sx={{ fontWeight: 600 }}>{message ?? "Nothing here yet"}</Typography>
      {hint && <Typography variant="body2">{hint}</Typography>}
    </Box>
  );
}
