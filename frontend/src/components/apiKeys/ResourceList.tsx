import Box from "@mui/material/Box";
import Chip from "@mui/material/Chip";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import ListItemText from "@mui/material/ListItemText";
import Typography from "@mui/material/Typography";
import type { ResourceRef } from "../../api/types";
import { KIND_LABELS } from "../../lib/labels";

/** A titled, compact list of resource references ("Project · Roads"). */
export default function ResourceList({
  heading,
  description,
  refs,
  testId,
}: {
  heading: string;
  description?: string;
  refs: readonly ResourceRef[];
  testId?: string;
}) {
  if (refs.length === 0) return null;
  const headingId = `${testId ?? heading}-heading`.replace(/\W+/g, "-");
  return (
    <Box sx={{ mt: 2 }} data-testid={testId}>
      <Typography id={headingId} variant="subtitle2" component="h3">
        {heading} ({refs.length})
      </Typography>
      {description && (
        <Typography variant="body2" color="text.secondary">
          {description}
        </Typography>
      )}
      <List
        dense
        aria-labelledby={headingId}
        sx={{ maxHeight: 180, overflow: "auto", border: 1, borderColor: "divider", borderRadius: 1, mt: 1, py: 0 }}
      >
        {refs.map((r) => (
          <ListItem key={`${r.kind}:${r.id}`} divider>
            <Chip
              size="small"
              label={(KIND_LABELS as Record<string, { singular: string } | undefined>)[r.kind]?.singular ?? r.kind}
              sx={{ mr: 1.5, minWidth: 96 }}
            />
            <ListItemText primary={r.name} />
          </ListItem>
        ))}
      </List>
    </Box>
  );
}
