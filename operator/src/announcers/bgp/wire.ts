/**
 * The session's view of the codec (codec/): the messages it sends, built from session terms, and a
 * decoder per connection that frames the byte stream and decodes each message with the context
 * the OPENs negotiated. Encoding errors are returned as text; the session logs them.
 */
import {
  decodeMessage,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  MessageFramer,
  NO_CAPABILITIES,
  PRE_OPEN_CONTEXT,
  twoOctetAS,
} from "./codec/index.ts";
import type {
  BgpMessage,
  Decoded,
  Family,
  GracefulRestartCapability,
  OriginatedAttributes,
  Prefix,
  SessionCodecContext,
} from "./codec/types.ts";
import { encodeEndOfRib, encodeUpdates, encodeWithdrawals } from "./codec/update-encode.ts";

export interface OpenRequest {
  readonly myASN: number;
  readonly holdTimeS: number;
  readonly routerID: string;
  readonly families: readonly Family[];
  readonly gracefulRestart?: GracefulRestartCapability;
}

export interface InboundDecoder {
  /** The whole messages this chunk completes; stops after the first error. */
  push(chunk: Uint8Array, ctx: SessionCodecContext | undefined): Iterable<Decoded<BgpMessage>>;
}

export interface BgpWire {
  /** OPEN: version 4, My AS (AS_TRANS above 65535), hold, identifier, MP + route refresh + 4-octet AS. */
  open(request: OpenRequest): Uint8Array | string;
  keepalive(): Uint8Array;
  notification(code: number, subcode: number, data: Uint8Array): Uint8Array;
  updates(
    ctx: SessionCodecContext,
    family: Family,
    attributes: OriginatedAttributes,
    prefixes: readonly Prefix[],
  ): Uint8Array[] | string;
  withdrawals(ctx: SessionCodecContext, family: Family, prefixes: readonly Prefix[]): Uint8Array[];
  endOfRib(family: Family): Uint8Array;
  decoder(): InboundDecoder;
}

export const bgpWire: BgpWire = {
  open(request) {
    const encoded = encodeOpen({
      myAS: twoOctetAS(request.myASN),
      holdTimeS: request.holdTimeS,
      bgpIdentifier: request.routerID,
      capabilities: {
        ...NO_CAPABILITIES,
        families: request.families,
        routeRefresh: true,
        fourOctetASN: request.myASN,
        gracefulRestart: request.gracefulRestart,
      },
    });
    return encoded.ok ? encoded.value : `${encoded.error.reason}: ${encoded.error.detail}`;
  },
  keepalive: encodeKeepalive,
  notification: (code, subcode, data) => encodeNotification(code, subcode, data),
  updates(ctx, family, attributes, prefixes) {
    const encoded = encodeUpdates(ctx, family, attributes, prefixes);
    return encoded.ok ? encoded.value : `${encoded.error.reason}: ${encoded.error.detail}`;
  },
  withdrawals(ctx, family, prefixes) {
    const encoded = encodeWithdrawals(ctx, family, prefixes);
    return encoded.ok ? encoded.value : [];
  },
  endOfRib: encodeEndOfRib,
  decoder() {
    const framer = new MessageFramer();
    return {
      *push(chunk, ctx) {
        framer.push(chunk);
        for (const framed of framer.drain()) {
          if (!framed.ok) {
            yield framed;
            return;
          }
          const decoded = decodeMessage(framed.value, ctx ?? PRE_OPEN_CONTEXT);
          yield decoded;
          if (!decoded.ok) return;
        }
      },
    };
  },
};
