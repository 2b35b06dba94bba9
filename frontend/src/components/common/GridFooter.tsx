import Typography from "@mui/material/Typography";
import { GridFooterContainer, GridPagination } from "@mui/x-data-grid";

declare module "@mui/x-data-grid" {
  interface FooterPropsOverrides {
    total?: number;
    noun?: string;
  }
}

/** The grid's footer: the total count on the left, the pager on the right. */
export default function GridFooter({ total, noun }: { total?: number; noun?: string }) {
  return (
    <GridFooterContainer sx={{ px: 2 }}>
      <Typography variant="body2" color="text.secondary" data-testid="grid-total">
        {total === undefined ? "" : `${total.toLocaleString()} ${noun ?? "rows"} in total`}
      </Typography>
      <GridPagination />
    </GridFooterContainer>
  );
}
