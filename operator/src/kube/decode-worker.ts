/**
 * The decode Worker: parses list answers and watch lines and sends back their projections
 * (kube/projecting.ts), so the parse's garbage stays in this thread's heap. Messages per
 * decode-protocol.ts; "trim" collects and shrinks this heap after a burst (the main thread's
 * IdleTrimmer asks), as a Worker's heap is not collected while it idles.
 */

import type { DecodeReply, DecodeRequest } from "./decode-protocol.ts";
import { DecodeError } from "./decoder.ts";
import { decodeProjectedEvents, decodeProjectedList } from "./projecting.ts";

declare const self: Worker;

function answer(request: DecodeRequest): DecodeReply {
  try {
    switch (request.type) {
      case "list":
        return { id: request.id, ok: true, value: decodeProjectedList(request.text, request.projection) };
      case "events":
        return { id: request.id, ok: true, value: decodeProjectedEvents(request.lines, request.projection) };
      case "trim":
        Bun.gc(true);
        Bun.shrink();
        return { id: request.id, ok: true, value: undefined };
    }
  } catch (error) {
    return {
      id: request.id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      excerpt: error instanceof DecodeError ? error.excerpt : "",
    };
  }
}

self.onmessage = (event: MessageEvent<DecodeRequest>) => self.postMessage(answer(event.data));
