/**
 * What both OPENs agree on, as the context every later UPDATE is encoded and decoded with:
 * 4-octet AS and Extended Message only when both sides sent them (RFC 6793 §3, RFC 8654 §3), the
 * families both sent (RFC 4760 §8: a side that sent no multiprotocol capability speaks IPv4
 * unicast only).
 */
import type { Capabilities, Family, SessionCodecContext } from "./types.ts";

function familiesOf(capabilities: Capabilities): readonly Family[] {
  const sentMultiprotocol =
    capabilities.families.length > 0 || capabilities.unknown.some((u) => u.code === 1);
  return sentMultiprotocol ? capabilities.families : ["ipv4-unicast"];
}

export function negotiateContext(
  ours: Capabilities,
  theirs: Capabilities,
  internal: boolean,
): SessionCodecContext {
  const peerFamilies = familiesOf(theirs);
  return {
    fourOctetASN: ours.fourOctetASN !== undefined && theirs.fourOctetASN !== undefined,
    extendedMessage: ours.extendedMessage && theirs.extendedMessage,
    families: familiesOf(ours).filter((family) => peerFamilies.includes(family)),
    internal,
  };
}
