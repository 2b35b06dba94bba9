import Button from "@mui/material/Button";
import Paper from "@mui/material/Paper";
import Typography from "@mui/material/Typography";
import { Link } from "react-router";

export default function NotFoundPage({
  title = "Page not found",
  message = "There is nothing at this address.",
}: {
  title?: string;
  message?: string;
}) {
  return (
    <Paper variant="outlined" sx={{ p: 6, textAlign: "center", maxWidth: 640, mx: "auto", mt: 4 }}>
      <Typography variant="h1" gutterBottom>
        {title}
      </Typography>
      <Typography color="text.secondary" sx={{ mb: 3 }}>
        {message}
      </Typography>
      <Button component={Link} to="/" variant="contained">
        Go to the home page
      </Button>
    </Paper>
  );
}
