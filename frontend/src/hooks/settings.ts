import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { queryKeys } from "../api/queries";
import type { OrgSettingsUpdate } from "../api/types";

/** Saves the organization's settings; keys' statuses depend on them, so the keys refresh. */
export function useUpdateSettings(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: OrgSettingsUpdate) =>
      unwrap(api.PATCH("/api/v1/organizations/{orgId}/settings", { params: { path: { orgId } }, body })),
    onSuccess: (data) => {
      client.setQueryData(queryKeys.settings(orgId), data);
      for (const key of [queryKeys.apiKeys(orgId), ["api-key", orgId], queryKeys.auditEvents(orgId)]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });
}
