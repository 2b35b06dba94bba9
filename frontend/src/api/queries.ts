/**
 * Query keys and loaders for everything the portal reads. Lists are keyed
 * `[resource, orgId, (kind,) listQuery]`, so invalidating `[resource, orgId]` refreshes every
 * page, sort and filter of that list at once.
 */
import type { QueryKey } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { listResources } from "./resources";
import type {
  ApiKey,
  AuditEvent,
  Delivery,
  ListQuery,
  Member,
  Resource,
  ResourceKind,
  Webhook,
} from "./types";

export const queryKeys = {
  session: ["session"] as const,
  config: ["config"] as const,
  apiKeys: (orgId: string) => ["api-keys", orgId] as const,
  apiKey: (orgId: string, keyId: string) => ["api-key", orgId, keyId] as const,
  deletionPreview: (orgId: string, keyId: string) => ["deletion-preview", orgId, keyId] as const,
  members: (orgId: string) => ["members", orgId] as const,
  /** Without `kind`: the resources of every kind. */
  resources: (orgId: string, kind?: ResourceKind) =>
    (kind ? ["resources", orgId, kind] : ["resources", orgId]) as readonly string[],
  auditEvents: (orgId: string) => ["audit-events", orgId] as const,
  /** Under the keys list's prefix: whatever refreshes the list refreshes the banner too. */
  keySummary: (orgId: string) => ["api-keys", orgId, "summary"] as const,
  /** Under the key's prefix: dropped with the key. */
  keyUsage: (orgId: string, keyId: string, days: number) => ["api-key", orgId, keyId, "usage", days] as const,
  settings: (orgId: string) => ["settings", orgId] as const,
  webhooks: (orgId: string) => ["webhooks", orgId] as const,
  deliveries: (orgId: string, webhookId: string) => ["webhooks", orgId, webhookId, "deliveries"] as const,
};

export interface Page<T> {
  items: T[];
  total: number;
}

/** One server-side list: its cache key for a query, and how to load that page. */
export interface ListSource<T> {
  key: (query: ListQuery) => QueryKey;
  load: (query: ListQuery, signal: AbortSignal) => Promise<Page<T>>;
}

export function apiKeysSource(orgId: string): ListSource<ApiKey> {
  return {
    key: (query) => [...queryKeys.apiKeys(orgId), query],
    load: (query, signal) =>
      unwrap(api.GET("/api/v1/organizations/{orgId}/api-keys", { params: { path: { orgId }, query }, signal })),
  };
}

export function membersSource(orgId: string): ListSource<Member> {
  return {
    key: (query) => [...queryKeys.members(orgId), query],
    load: (query, signal) =>
      unwrap(api.GET("/api/v1/organizations/{orgId}/members", { params: { path: { orgId }, query }, signal })),
  };
}

export function resourcesSource(orgId: string, kind: ResourceKind): ListSource<Resource> {
  return {
    key: (query) => [...queryKeys.resources(orgId, kind), query],
    load: (query, signal) => listResources(orgId, kind, query, signal),
  };
}

export function auditEventsSource(orgId: string): ListSource<AuditEvent> {
  return {
    key: (query) => [...queryKeys.auditEvents(orgId), query],
    load: (query, signal) =>
      unwrap(api.GET("/api/v1/organizations/{orgId}/audit-events", { params: { path: { orgId }, query }, signal })),
  };
}

export function webhooksSource(orgId: string): ListSource<Webhook> {
  return {
    key: (query) => [...queryKeys.webhooks(orgId), "list", query],
    load: (query, signal) =>
      unwrap(api.GET("/api/v1/organizations/{orgId}/webhooks", { params: { path: { orgId }, query }, signal })),
  };
}

export function deliveriesSource(orgId: string, webhookId: string): ListSource<Delivery> {
  return {
    key: (query) => [...queryKeys.deliveries(orgId, webhookId), query],
    load: (query, signal) =>
      unwrap(
        api.GET("/api/v1/organizations/{orgId}/webhooks/{webhookId}/deliveries", {
          params: { path: { orgId, webhookId }, query },
          signal,
        }),
      ),
  };
}
