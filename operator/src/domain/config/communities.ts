import type { Community } from "../api/community.ts";
import { type BGPCommunity, parseCommunity } from "./community-value.ts";
import { type ConfigError, configError } from "./errors.ts";
import { listOf, nameOf, sortedByName } from "./objects.ts";

const KIND = "Community";

/** Community aliases by name; alias names must be unique across every Community object. */
export function parseCommunityAliases(raw: readonly Community[] | undefined): {
  aliases: Map<string, BGPCommunity>;
  errors: ConfigError[];
} {
  const aliases = new Map<string, BGPCommunity>();
  const errors: ConfigError[] = [];
  for (const object of sortedByName(raw)) {
    const name = nameOf(object);
    listOf(object.spec?.communities).forEach((alias, i) => {
      const field = `spec.communities[${i}]`;
      const parsed = parseCommunity(String(alias?.value ?? ""));
      if (!parsed.ok) {
        errors.push(
          configError(
            "invalidCommunity",
            KIND,
            name,
            `${field}.value`,
            `parsing community "${alias?.name}": ${parsed.error}`,
          ),
        );
        return;
      }
      if (aliases.has(alias.name)) {
        errors.push(
          configError(
            "duplicateCommunityAlias",
            KIND,
            name,
            `${field}.name`,
            `duplicate definition of community "${alias.name}"`,
          ),
        );
        return;
      }
      aliases.set(alias.name, parsed.value);
    });
  }
  return { aliases, errors };
}
