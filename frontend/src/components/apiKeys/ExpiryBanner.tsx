import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { queryKeys } from "../../api/queries";
import type { KeyStatus } from "../../api/types";
import { bannerStatuses, expiryBannerText } from "../../lib/keyStatus";

/**
 * Above the keys table: "N keys expire within W days; M keys have expired", with a button that
 * filters the table to those keys. Hidden when there is nothing to warn about, or while the
 * summary is unknown (a failure here is not worth an error: the table shows the statuses).
 */
export default function ExpiryBanner({
  orgId,
  onShow,
}: {
  orgId: string;
  onShow: (statuses: KeyStatus[]) => void;
}) {
  const { data } = useQuery({
    queryKey: queryKeys.keySummary(orgId),
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/v1/organizations/{orgId}/api-keys/summary", { params: { path: { orgId } }, signal })),
  });
  if (!data) return null;
  const text = expiryBannerText(data);
  if (!text) return null;
  const statuses = bannerStatuses(data);
  return (
    <Alert
      severity="warning"
      variant="outlined"
      sx={{ mb: 2, bgcolor: "background.paper", alignItems: "center" }}
      data-testid="expiry-banner"
      action={
        <Button
          color="inherit"
          size="small"
          onClick={() => {
            onShow(statuses);
          }}
        >
          Show {statuses.length > 1 || (data.expiring + data.expired) > 1 ? "these keys" : "this key"}
        </Button>
      }
    >
      {text}. Roll a key to give it a new secret and expiration date.
    </Alert>
  );
}
