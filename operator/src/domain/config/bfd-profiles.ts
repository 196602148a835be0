import type { BFDProfile } from "../api/bfd-profile.ts";
import { type ConfigError, configError } from "./errors.ts";
import { nameOf, sortedByName } from "./objects.ts";
import type { BFDProfileConfig } from "./types.ts";

const KIND = "BFDProfile";

/** [field, min, max], the ranges MetalLB checks twice (CRD and bfdProfileFromCR). */
const RANGES: readonly [keyof BFDProfileConfig & keyof BFDProfile["spec"], number, number, string][] = [
  ["detectMultiplier", 2, 255, "detect multiplier"],
  ["receiveInterval", 10, 60000, "receive interval"],
  ["transmitInterval", 10, 60000, "transmit interval"],
  ["minimumTtl", 1, 254, "minimum ttl"],
  ["echoInterval", 10, 60000, "echo interval"],
];

export function parseBFDProfiles(raw: readonly BFDProfile[] | undefined): {
  profiles: Map<string, BFDProfileConfig>;
  errors: ConfigError[];
} {
  const profiles = new Map<string, BFDProfileConfig>();
  const errors: ConfigError[] = [];
  for (const object of sortedByName(raw)) {
    const name = nameOf(object);
    if (name === "") {
      errors.push(configError("missingName", KIND, name, "metadata.name", "missing bfd profile name"));
      continue;
    }
    if (profiles.has(name)) {
      errors.push(
        configError("duplicateName", KIND, name, "metadata.name", `found duplicate bfd profile name ${name}`),
      );
      continue;
    }
    const spec = object.spec ?? {};
    let valid = true;
    for (const [field, min, max, label] of RANGES) {
      const value = spec[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        errors.push(
          configError(
            "bfdOutOfRange",
            KIND,
            name,
            `spec.${field}`,
            `invalid ${label} value: invalid value ${value}, must be in ${min}-${max} range`,
          ),
        );
        valid = false;
      }
    }
    if (!valid) continue;
    profiles.set(name, {
      name,
      receiveInterval: spec.receiveInterval,
      transmitInterval: spec.transmitInterval,
      detectMultiplier: spec.detectMultiplier,
      echoInterval: spec.echoInterval,
      echoMode: spec.echoMode === true,
      passiveMode: spec.passiveMode === true,
      minimumTtl: spec.minimumTtl,
    });
  }
  return { profiles, errors };
}
