/**
 * How a client turns the JSON text of list answers and watch streams into objects. The default
 * parses on the calling thread. A projecting decoder (kube/decode-host.ts) parses in a Worker and
 * sends back only what a store keeps: the parse's garbage (managedFields, ports, every dropped
 * field) then never lands between the objects a speaker holds for hours, in a heap that never moves
 * objects (bench l2 footprint, 10k Services).
 */
import type { KubeList, RawWatchEvent } from "./types.ts";

/** Why text could not be decoded; the client reports it as a ProtocolError. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";
  constructor(
    message: string,
    /** The start of the offending text, for the error message. */
    readonly excerpt: string,
  ) {
    super(message);
  }
}

export interface ObjectDecoder {
  /** A list answer (one JSON document). Rejects with DecodeError. */
  list<T>(text: string): Promise<KubeList<T>>;
  /** Watch events, one JSON document per line, in order. Rejects with DecodeError. */
  events<T>(lines: readonly string[]): Promise<RawWatchEvent<T>[]>;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DecodeError("not JSON", text.slice(0, 200));
  }
}

/** JSON.parse on this thread: what every client does unless told otherwise. */
export const parseHere: ObjectDecoder = {
  list: async <T>(text: string) => parsed(text) as KubeList<T>,
  events: async <T>(lines: readonly string[]) => lines.map((line) => parsed(line) as RawWatchEvent<T>),
};
