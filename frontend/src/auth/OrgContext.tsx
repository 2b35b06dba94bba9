import { createContext, useContext } from "react";
import type { Membership } from "../api/types";

export const OrgContext = createContext<Membership | null>(null);

/** The membership of the organization shown in the URL (/orgs/:slug/...). */
export function useMembership(): Membership {
  const m = useContext(OrgContext);
  if (!m) throw new Error("useMembership outside an organization route");
  return m;
}

const LAST_ORG = "keyhouse:lastOrg:";

/** Where a member lands: administrators on API Keys, everyone else on Resources. */
export function homePath(m: Membership): string {
  const page = m.role === "administrator" ? "api-keys" : "resources";
  return `/orgs/${m.organization.slug}/${page}`;
}

export function rememberOrg(userId: string, slug: string): void {
  try {
    localStorage.setItem(LAST_ORG + userId, slug);
  } catch {
    /* ignore */
  }
}

export function preferredOrg(userId: string, memberships: readonly Membership[]): Membership | null {
  let last: string | null = null;
  try {
    last = localStorage.getItem(LAST_ORG + userId);
  } catch {
    /* ignore */
  }
  return (
    memberships.find((m) => m.organization.slug === last) ??
    memberships.find((m) => m.role === "administrator") ??
    memberships[0] ??
    null
  );
}
