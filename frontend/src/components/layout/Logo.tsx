import KeyIcon from "@mui/icons-material/VpnKey";
import Box from "@mui/material/Box";
import Typography from "@mui/material/Typography";

export default function Logo() {
  return (
    <Box sx={{ display: "flex", alignItems: "center", gap: 1, width: 216 }}>
      <Box
        sx={{
          width: 32,
          height: 32,
          borderRadius: 1.5,
          bgcolor: "primary.main",
          color: "primary.contrastText",
          display: "grid",
          placeItems: "center",
        }}
        aria-hidden
      >
        <KeyIcon fontSize="small" />
      </Box>
      <Typography variant="h6" component="span" sx={{ fontWeight: 700, letterSpacing: -0.3 }}>
        Keyhouse
      </Typography>
    </Box>
  );
}
