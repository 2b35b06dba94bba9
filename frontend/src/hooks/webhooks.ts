import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { queryKeys } from "../api/queries";
import type { WebhookCreate, WebhookUpdate } from "../api/types";

/**
 * Adds a webhook. The answer holds its signing secret, shown once: it lives only in this
 * mutation's result, reset when the secret dialog closes (`gcTime: 0`), never in a query.
 */
export function useCreateWebhook(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: WebhookCreate) =>
      unwrap(api.POST("/api/v1/organizations/{orgId}/webhooks", { params: { path: { orgId } }, body })),
    gcTime: 0,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.webhooks(orgId) });
      void client.invalidateQueries({ queryKey: queryKeys.auditEvents(orgId) });
    },
  });
}

export function useUpdateWebhook(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ webhookId, body }: { webhookId: string; body: WebhookUpdate }) =>
      unwrap(
        api.PATCH("/api/v1/organizations/{orgId}/webhooks/{webhookId}", {
          params: { path: { orgId, webhookId } },
          body,
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.webhooks(orgId) });
      void client.invalidateQueries({ queryKey: queryKeys.auditEvents(orgId) });
    },
  });
}

export function useDeleteWebhook(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (webhookId: string) =>
      unwrap(
        api.DELETE("/api/v1/organizations/{orgId}/webhooks/{webhookId}", {
          params: { path: { orgId, webhookId } },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: queryKeys.webhooks(orgId) });
      void client.invalidateQueries({ queryKey: queryKeys.auditEvents(orgId) });
    },
  });
}

/** Queues a test event for the webhook (202): it shows up in the deliveries log. */
export function useTestWebhook(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (webhookId: string) =>
      unwrap(
        api.POST("/api/v1/organizations/{orgId}/webhooks/{webhookId}/test", {
          params: { path: { orgId, webhookId } },
        }),
      ),
    onSuccess: (_result, webhookId) => {
      void client.invalidateQueries({ queryKey: queryKeys.deliveries(orgId, webhookId) });
      void client.invalidateQueries({ queryKey: queryKeys.webhooks(orgId) });
    },
  });
}
