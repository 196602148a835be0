/**
 * Which interfaces Layer 2 never answers on: MetalLB's `metallb-excludel2` ConfigMap, key
 * `excludel2.yaml`, list `announcedInterfacesToExclude` of regular expressions; its default list
 * while the ConfigMap is absent. Invalid entries are reported and skipped, the rest still apply.
 */
import { parse as parseYaml } from "yaml";

/** MetalLB's default `metallb-excludel2` list. */
export const DEFAULT_EXCLUDE_PATTERNS: readonly string[] = [
  "^docker.*",
  "^cbr.*",
  "^dummy.*",
  "^virbr.*",
  "^lxcbr.*",
  "^veth.*",
  "^lo$",
  "^cali.*",
  "^tunl.*",
  "^flannel.*",
  "^kube-ipvs.*",
  "^cni.*",
  "^nodelocaldns.*",
  "^lxc.*",
];

export const EXCLUDE_CONFIGMAP = "metallb-excludel2";
const EXCLUDE_KEY = "excludel2.yaml";

export interface ExcludeProblem {
  /** The pattern, or the key when the YAML itself does not parse. */
  readonly pattern: string;
  readonly why: string;
}

export interface ExcludeInterfaces {
  readonly patterns: readonly RegExp[];
  readonly problems: readonly ExcludeProblem[];
}

/** The ConfigMap's `data`, or undefined when there is no ConfigMap. */
export function excludeInterfacesOf(data: Readonly<Record<string, string>> | undefined): ExcludeInterfaces {
  const problems: ExcludeProblem[] = [];
  let texts = DEFAULT_EXCLUDE_PATTERNS;
  const text = data?.[EXCLUDE_KEY];
  if (text !== undefined) {
    try {
      const parsed = parseYaml(text) as { announcedInterfacesToExclude?: unknown } | null;
      const list = parsed?.announcedInterfacesToExclude;
      texts = Array.isArray(list) ? list.filter((p): p is string => typeof p === "string") : [];
    } catch (error) {
      problems.push({ pattern: EXCLUDE_KEY, why: (error as Error).message });
    }
  }
  const patterns: RegExp[] = [];
  for (const p of texts) {
    try {
      patterns.push(new RegExp(p));
    } catch (error) {
      problems.push({ pattern: p, why: (error as Error).message });
    }
  }
  return { patterns, problems };
}
