import { RESOURCE_KINDS, type ResourceKind } from "../api/types";

export function roleLabel(role: string): string {
  switch (role) {
    case "administrator":
      return "Administrator";
    case "editor":
      return "Editor";
    case "viewer":
      return "Viewer";
    default:
      return role;
  }
}

export const KIND_LABELS: Record<ResourceKind, { plural: string; singular: string }> = {
  datasources: { plural: "Data sources", singular: "Data source" },
  projects: { plural: "Projects", singular: "Project" },
  layers: { plural: "Layers", singular: "Layer" },
  tables: { plural: "Tables", singular: "Table" },
};

export function kindLabel(kind: string, count = 1): string {
  const k = KIND_LABELS[kind as ResourceKind] as (typeof KIND_LABELS)[ResourceKind] | undefined;
  if (!k) return kind;
  return count === 1 ? k.singular.toLowerCase() : k.plural.toLowerCase();
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : [name.trim()];
  return letters
    .map((w) => (w ?? "").charAt(0))
    .join("")
    .toUpperCase()
    .slice(0, 2);
}

/** "3 projects", "1 data source". */
export function countLabel(kind: string, count: number): string {
  return `${count} ${kindLabel(kind, count)}`;
}

/** A summary of resource references by kind, in a fixed order: "2 projects, 1 layer". */
export function summarizeRefs(refs: readonly { kind: string }[]): string {
  const counts = new Map<string, number>();
  for (const r of refs) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  const order = (k: string) => {
    const i = (RESOURCE_KINDS as readonly string[]).indexOf(k);
    return i < 0 ? RESOURCE_KINDS.length : i;
  };
  return [...counts.entries()]
    .sort(([a], [b]) => order(a) - order(b))
    .map(([k, n]) => countLabel(k, n))
    .join(", ");
}
