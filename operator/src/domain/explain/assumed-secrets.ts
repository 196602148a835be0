/**
 * BGPPeer password Secrets as explain sees them. A user with `view` may not read Secrets (nor
 * should explain need to), so each Secret a BGPPeer names is assumed present and valid: the
 * session is formed as the speaker would form it. A Secret that is in fact missing or malformed
 * shows up in that speaker's ConfigurationState, which the cluster summary lists.
 */
import type { BGPPeer } from "../api/bgp-peer.ts";
import { BASIC_AUTH_SECRET_TYPE, type BgpSecrets, PASSWORD_KEY } from "../bgp/password.ts";

/** base64 of "x": any short key does; explain never sends it. */
const PLACEHOLDER = "eA==";

export function assumedSecrets(peers: readonly BGPPeer[]): BgpSecrets {
  const secrets = new Map<string, { type: string; data: Record<string, string> }>();
  for (const peer of peers) {
    const name = peer.spec?.passwordSecret?.name;
    if (name) secrets.set(name, { type: BASIC_AUTH_SECRET_TYPE, data: { [PASSWORD_KEY]: PLACEHOLDER } });
  }
  return secrets;
}
