/**
 * Names for the API's shapes, derived from the generated OpenAPI paths (not from schema names,
 * so they follow the contract even if the backend renames its models).
 */
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : never;

export type Session = JsonOf<paths["/api/v1/auth/me"]["get"]["responses"][200]>;
export type User = Session["user"];
export type Membership = Session["memberships"][number];
export type Organization = Membership["organization"];
export type Role = Membership["role"];
export type PortalConfig = JsonOf<paths["/api/v1/config"]["get"]["responses"][200]>;

type KeysPath = paths["/api/v1/organizations/{orgId}/api-keys"];
type KeyPath = paths["/api/v1/organizations/{orgId}/api-keys/{keyId}"];
export type ApiKeyPage = JsonOf<KeysPath["get"]["responses"][200]>;
export type ApiKey = JsonOf<KeyPath["get"]["responses"][200]>;
export type ApiKeyCreated = JsonOf<KeysPath["post"]["responses"][201]>;
export type ApiKeyCreate = NonNullable<KeysPath["post"]["requestBody"]>["content"]["application/json"];
export type KeyRole = ApiKeyCreate["role"];
export type DeletionPreview = JsonOf<
  paths["/api/v1/organizations/{orgId}/api-keys/{keyId}/deletion-preview"]["get"]["responses"][200]
>;
export type DeletionResult = JsonOf<KeyPath["delete"]["responses"][200]>;
export type ResourceRef = DeletionPreview["soleOwned"][number];
export type Member = DeletionPreview["eligibleRecipients"][number];
export type MemberPage = JsonOf<
  paths["/api/v1/organizations/{orgId}/members"]["get"]["responses"][200]
>;
export type ResourcePage = JsonOf<
  paths["/api/v1/organizations/{orgId}/{kind}"]["get"]["responses"][200]
>;
export type Resource = ResourcePage["items"][number];
export type AuditEventPage = JsonOf<
  paths["/api/v1/organizations/{orgId}/audit-events"]["get"]["responses"][200]
>;
export type AuditEvent = AuditEventPage["items"][number];

export const RESOURCE_KINDS = ["datasources", "projects", "layers", "tables"] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Query parameters shared by every list (SPEC §3 "Lists"). */
export interface ListQuery {
  limit: number;
  offset: number;
  sort?: string;
  filter?: string[];
}

// Issue 6: key lifecycle (roll, expiry, usage), organization settings, webhooks.
type OrgPath = "/api/v1/organizations/{orgId}";
type RollPath = paths[`${OrgPath}/api-keys/{keyId}/roll`]["post"];
export type ApiKeyRoll = NonNullable<RollPath["requestBody"]>["content"]["application/json"];
export type ApiKeyRolled = JsonOf<RollPath["responses"][200]>;
export type KeyStatus = ApiKey["status"];
export type KeySummary = JsonOf<paths[`${OrgPath}/api-keys/summary`]["get"]["responses"][200]>;
export type KeyUsage = JsonOf<paths[`${OrgPath}/api-keys/{keyId}/usage`]["get"]["responses"][200]>;
export type UsageDay = KeyUsage["days"][number];
type SettingsPath = paths[`${OrgPath}/settings`];
export type OrgSettings = JsonOf<SettingsPath["get"]["responses"][200]>;
export type OrgSettingsUpdate = NonNullable<SettingsPath["patch"]["requestBody"]>["content"]["application/json"];
type WebhooksPath = paths[`${OrgPath}/webhooks`];
type WebhookPath = paths[`${OrgPath}/webhooks/{webhookId}`];
export type WebhookPage = JsonOf<WebhooksPath["get"]["responses"][200]>;
export type Webhook = WebhookPage["items"][number];
export type WebhookCreate = NonNullable<WebhooksPath["post"]["requestBody"]>["content"]["application/json"];
export type WebhookCreated = JsonOf<WebhooksPath["post"]["responses"][201]>;
export type WebhookUpdate = NonNullable<WebhookPath["patch"]["requestBody"]>["content"]["application/json"];
export type WebhookEvent = Webhook["events"][number];
export type LastDelivery = NonNullable<Webhook["lastDelivery"]>;
export type DeliveryPage = JsonOf<
  paths[`${OrgPath}/webhooks/{webhookId}/deliveries`]["get"]["responses"][200]
>;
export type Delivery = DeliveryPage["items"][number];
export type DeliveryStatus = Delivery["status"];
