import { api, unwrap } from "./client";
import type { ListQuery, ResourceKind, ResourcePage } from "./types";

/** One page of resources of a kind (GET /api/v1/organizations/{orgId}/{kind}). */
export function listResources(
  orgId: string,
  kind: ResourceKind,
  query: ListQuery,
  signal?: AbortSignal,
): Promise<ResourcePage> {
  const init = { params: { path: { orgId }, query }, signal };
  switch (kind) {
    case "datasources":
      return unwrap(api.GET("/api/v1/organizations/{orgId}/datasources", init));
    case "projects":
      return unwrap(api.GET("/api/v1/organizations/{orgId}/projects", init));
    case "layers":
      return unwrap(api.GET("/api/v1/organizations/{orgId}/layers", init));
    case "tables":
      return unwrap(api.GET("/api/v1/organizations/{orgId}/tables", init));
  }
}
