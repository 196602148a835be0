/** Path attribute type codes and flags (RFC 4271 §4.3, §5; IANA "BGP Path Attributes"). */

export const AttributeType = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  multiExitDisc: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8,
  mpReachNlri: 14,
  mpUnreachNlri: 15,
  as4Path: 17,
  as4Aggregator: 18,
  largeCommunity: 32,
} as const;

export const AttributeFlag = {
  optional: 0x80,
  transitive: 0x40,
  partial: 0x20,
  extendedLength: 0x10,
} as const;

const WELL_KNOWN = AttributeFlag.transitive;
const OPTIONAL_TRANSITIVE = AttributeFlag.optional | AttributeFlag.transitive;
const OPTIONAL_NON_TRANSITIVE = AttributeFlag.optional;

/** The Optional and Transitive bits each known attribute must carry (RFC 4271 §5, RFC 4760 §3-4). */
export const EXPECTED_FLAGS: ReadonlyMap<number, number> = new Map([
  [AttributeType.origin, WELL_KNOWN],
  [AttributeType.asPath, WELL_KNOWN],
  [AttributeType.nextHop, WELL_KNOWN],
  [AttributeType.multiExitDisc, OPTIONAL_NON_TRANSITIVE],
  [AttributeType.localPref, WELL_KNOWN],
  [AttributeType.atomicAggregate, WELL_KNOWN],
  [AttributeType.aggregator, OPTIONAL_TRANSITIVE],
  [AttributeType.communities, OPTIONAL_TRANSITIVE],
  [AttributeType.mpReachNlri, OPTIONAL_NON_TRANSITIVE],
  [AttributeType.mpUnreachNlri, OPTIONAL_NON_TRANSITIVE],
  [AttributeType.as4Path, OPTIONAL_TRANSITIVE],
  [AttributeType.as4Aggregator, OPTIONAL_TRANSITIVE],
  [AttributeType.largeCommunity, OPTIONAL_TRANSITIVE],
]);

/** Only the Optional and Transitive bits are compared (RFC 7606 §3.c). */
export const CATEGORY_MASK = AttributeFlag.optional | AttributeFlag.transitive;

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 §3). */
export const AsPathSegment = {
  set: 1,
  sequence: 2,
  confedSequence: 3,
  confedSet: 4,
} as const;

/** ORIGIN values in wire order. */
export const ORIGINS = ["igp", "egp", "incomplete"] as const;
