import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { queryKeys } from "../api/queries";
import type { ApiKeyCreate, ApiKeyRoll, DeletionResult } from "../api/types";

/**
 * Creates a key. The answer holds the secret: it lives only in this mutation's result, which the
 * caller resets when the secret dialog closes (`gcTime: 0` then drops the mutation from the
 * cache at once). It is never written to the query cache.
 */
export function useCreateKey(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ApiKeyCreate) =>
      unwrap(api.POST("/api/v1/organizations/{orgId}/api-keys", { params: { path: { orgId } }, body })),
    gcTime: 0,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.apiKeys(orgId) });
      void client.invalidateQueries({ queryKey: queryKeys.auditEvents(orgId) });
    },
  });
}

export interface DeleteKeyVariables {
  keyId: string;
  query: { transferTo?: string; deleteResources?: boolean };
}

/** Deletes a key; its resources may have moved or gone, so resources and activity refresh too. */
export function useDeleteKey(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ keyId, query }: DeleteKeyVariables): Promise<DeletionResult> =>
      unwrap(
        api.DELETE("/api/v1/organizations/{orgId}/api-keys/{keyId}", {
          params: { path: { orgId, keyId }, query },
        }),
      ),
    onSuccess: (_result, { keyId }) => {
      // (Its deletion preview is never kept: the dialog's query has gcTime 0.)
      client.removeQueries({ queryKey: queryKeys.apiKey(orgId, keyId) });
      for (const key of [queryKeys.apiKeys(orgId), queryKeys.resources(orgId), queryKeys.auditEvents(orgId)]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });
}

export interface RollKeyVariables {
  keyId: string;
  body: ApiKeyRoll;
}

/**
 * Rolls a key: a new secret replaces the current one. Like creation, the answer holds the new
 * secret, only in this mutation's result (reset when the secret dialog closes, `gcTime: 0`).
 * The key's details are refreshed from the server, never written from the answer.
 */
export function useRollKey(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ keyId, body }: RollKeyVariables) =>
      unwrap(
        api.POST("/api/v1/organizations/{orgId}/api-keys/{keyId}/roll", {
          params: { path: { orgId, keyId } },
          body,
        }),
      ),
    gcTime: 0,
    onSuccess: (_result, { keyId }) => {
      for (const key of [queryKeys.apiKeys(orgId), queryKeys.apiKey(orgId, keyId), queryKeys.auditEvents(orgId)]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });
}
