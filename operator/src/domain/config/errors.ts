/**
 * Configuration errors are values. Each names the object (kind + name) and the field, carries a
 * stable code (for metrics labels and tests) and a message a user can act on; the wording of the
 * detail follows MetalLB's runtime parser (internal/config) where it has one.
 */
export type ConfigObjectKind =
  | "IPAddressPool"
  | "L2Advertisement"
  | "BGPAdvertisement"
  | "BGPPeer"
  | "BFDProfile"
  | "Community";

export type ConfigErrorCode =
  | "missingName"
  | "duplicateName"
  | "invalidSpec"
  | "noAddresses"
  | "invalidAddress"
  | "cidrOverlap"
  | "duplicateNamespace"
  | "invalidSelector"
  | "duplicateReference"
  | "invalidAggregationLength"
  | "aggregationLengthTooLong"
  | "serviceSelectorsWithAggregation"
  | "localPrefConflict"
  | "invalidCommunity"
  | "unknownCommunityAlias"
  | "duplicateCommunityAlias"
  | "invalidASN"
  | "invalidPeerAddress"
  | "invalidPort"
  | "invalidTimers"
  | "invalidRouterID"
  | "invalidSourceAddress"
  | "passwordConflict"
  | "ebgpMultiHopOnIBGP"
  | "unknownBFDProfile"
  | "bfdOutOfRange"
  | "bfdEchoWithIPv6"
  | "invalidWeight"
  | "unsupportedByBackend";

export interface ConfigError {
  readonly code: ConfigErrorCode;
  readonly kind: ConfigObjectKind;
  readonly name: string;
  /** JSON path of the field inside the object, e.g. `spec.addresses[1]`. */
  readonly field: string;
  /** `<Kind> "<name>" <field>: <detail>`. */
  readonly message: string;
  /**
   * MetalLB's TransientError: the object refers to something that may appear later (a Community
   * alias, a BFDProfile). Still an invalid configuration now, but worth retrying on the next change.
   */
  readonly transient: boolean;
}

export function configError(
  code: ConfigErrorCode,
  kind: ConfigObjectKind,
  name: string,
  field: string,
  detail: string,
  transient = false,
): ConfigError {
  const where = field === "" ? "" : ` ${field}`;
  return { code, kind, name, field, message: `${kind} "${name}"${where}: ${detail}`, transient };
}

/** One line for ConfigurationState.status.errorSummary and the log: every message, in order. */
export function errorSummary(errors: readonly ConfigError[]): string {
  return errors.map((e) => e.message).join("; ");
}
