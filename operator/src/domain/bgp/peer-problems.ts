/**
 * Why a BGPPeer that selects this node gets no session here (an "error"), or gets one with a
 * caveat (a "warning"). Values with stable codes, for the speaker's ConfigurationState, its log
 * and metrics labels; the message says what to change. They concern one peer on one node: the
 * rest of the configuration keeps serving.
 */

export type BgpPeerProblemCode =
  /** passwordSecret names a Secret that does not exist in the MetalLB namespace. */
  | "passwordSecretNotFound"
  /** passwordSecret names a Secret in another namespace than MetalLB's. */
  | "passwordSecretWrongNamespace"
  /** The Secret's type is not `kubernetes.io/basic-auth`. */
  | "passwordSecretWrongType"
  /** The Secret has no `password` key in `data`. */
  | "passwordSecretMissingKey"
  /** The Secret's `password` is not base64 of UTF-8 text. */
  | "passwordSecretUndecodable"
  /** The TCP MD5 key is longer than Linux accepts (TCP_MD5SIG_MAXKEYLEN, 80 bytes). */
  | "passwordTooLong"
  /** The BGP Identifier is 4 octets (RFC 4271 §4.2): an IPv6 routerID cannot be one. */
  | "routerIDNotIPv4"
  /** The OPEN's Hold Time is 2 octets (RFC 4271 §4.2): at most 65535 s. */
  | "holdTimeTooLong"
  /** `interface` (BGP unnumbered). */
  | "unnumberedNotSupported"
  | "vrfNotSupported"
  /** bfdProfile names no BFDProfile (the configuration check reports it too). */
  | "bfdProfileNotFound"
  /** The BFDProfile asks for echo mode, which metalbun does not run: asynchronous mode only. */
  | "bfdEchoModeNotSupported"
  /** `disableMP`: deprecated by MetalLB (0.15) and without effect; the session is kept. */
  | "disableMPDeprecated";

export interface BgpPeerProblem {
  /** The BGPPeer's name. */
  readonly peer: string;
  readonly code: BgpPeerProblemCode;
  /** "error": this node holds no session for the peer; "warning": the session is kept. */
  readonly severity: "error" | "warning";
  /**
   * The peer refers to something that may appear or change later (its Secret): worth retrying on
   * the next change of Secrets, as MetalLB's TransientError.
   */
  readonly transient: boolean;
  /** JSON path of the field inside the BGPPeer, e.g. `spec.passwordSecret`. */
  readonly field: string;
  /** `BGPPeer "<name>" <field>: <detail>`, like ConfigError messages. */
  readonly message: string;
}

export function peerProblem(
  peer: string,
  code: BgpPeerProblemCode,
  field: string,
  detail: string,
  options: { readonly severity?: "error" | "warning"; readonly transient?: boolean } = {},
): BgpPeerProblem {
  return {
    peer,
    code,
    severity: options.severity ?? "error",
    transient: options.transient ?? false,
    field,
    message: `BGPPeer "${peer}" ${field}: ${detail}`,
  };
}

/** The stable wording of "metalbun cannot serve this field yet", per field. */
export const NOT_SUPPORTED_YET = {
  interface:
    "BGP unnumbered (interface) is not supported yet by metalbun's native BGP: set peerAddress instead",
  vrf: "vrf is not supported yet by metalbun's native BGP: sessions run in the speaker's network namespace only",
} as const;
