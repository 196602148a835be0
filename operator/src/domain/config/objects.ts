import type { ObjectMeta } from "../api/object-meta.ts";

interface Named {
  readonly metadata?: ObjectMeta;
}

/** The object's name ("" when missing: the apiserver never returns that, a test might). */
export function nameOf(object: Named): string {
  return object.metadata?.name ?? "";
}

/**
 * The objects sorted by name, then namespace. Parsing walks every kind in this order so results
 * and error lists never depend on the order a watch delivered the objects in (MetalLB iterates
 * list order, which is the apiserver's: also by name within one namespace).
 */
export function sortedByName<T extends Named>(objects: readonly T[] | undefined): T[] {
  return [...(objects ?? [])].sort((a, b) => {
    const na = nameOf(a);
    const nb = nameOf(b);
    if (na !== nb) return na < nb ? -1 : 1;
    const sa = a.metadata?.namespace ?? "";
    const sb = b.metadata?.namespace ?? "";
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

/** The first value that occurs twice in the list, if any. */
export function firstDuplicate(values: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) return value;
    seen.add(value);
  }
  return undefined;
}

/** A list field read defensively: raw objects may carry anything where a list is expected. */
export function listOf<T>(value: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(value) ? value : [];
}
