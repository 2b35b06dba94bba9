import { api, unwrap } from "./client";
import type { ListQuery, ResourceKind, ResourcePage } from "./types";

/** One page of resources of a kind (GET /api/v1/organizations/{orgId}/{kind}). */
export function listResources(
  orgId: string,
  kind: ResourceKind,
  query: ListQuery,
  signal?: AbortSignal,
): Promise<ResourcePage> {
  return unwrap(
    api.GET("/api/v1/organizations/{orgId}/{kind}", {
      params: { path: { orgId, kind }, query },
      signal,
    }),
  );
}
