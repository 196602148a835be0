/**
 * Cuts a TCP byte stream into whole BGP messages. A message that lies inside one received chunk is
 * returned as a view of it (no copy); only a message split across chunks is copied, once, so the
 * work stays linear in the bytes received however the stream is chunked. Chunks must not be
 * modified after `push`. After a header error the framer stays failed: the session must close.
 */
import { checkHeader, isHeaderError } from "./header.ts";
import { type BgpError, type Decoded, HEADER_LENGTH } from "./types.ts";

export class MessageFramer {
  private chunks: Uint8Array[] = [];
  /** Index of the first unconsumed chunk, and the read offset inside it. */
  private first = 0;
  private offset = 0;
  private available = 0;
  private failure: BgpError | undefined;
  private readonly headerScratch = new Uint8Array(HEADER_LENGTH);

  constructor(private extendedMessage = false) {}

  /** RFC 8654: once both sides sent capability 6, UPDATE/NOTIFICATION/ROUTE-REFRESH may reach 65535. */
  setExtendedMessage(enabled: boolean): void {
    this.extendedMessage = enabled;
  }

  /** Bytes received and not yet returned as messages. */
  get buffered(): number {
    return this.available;
  }

  push(chunk: Uint8Array): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** The next whole message, a header error (then every later call too), or undefined for "need more". */
  next(): Decoded<Uint8Array> | undefined {
    if (this.failure !== undefined) return { ok: false, error: this.failure };
    if (this.available < HEADER_LENGTH) return undefined;
    const header = checkHeader(this.peek(HEADER_LENGTH), this.extendedMessage);
    if (isHeaderError(header)) {
      this.failure = header;
      this.chunks = [];
      this.available = 0;
      return { ok: false, error: header };
    }
    if (this.available < header.length) return undefined;
    return { ok: true, value: this.take(header.length) };
  }

  /** Every whole message available now; stops after a header error. */
  *drain(): Generator<Decoded<Uint8Array>> {
    for (;;) {
      const message = this.next();
      if (message === undefined) return;
      yield message;
      if (!message.ok) return;
    }
  }

  private peek(length: number): Uint8Array {
    const chunk = this.chunks[this.first]!;
    if (chunk.length - this.offset >= length) return chunk.subarray(this.offset, this.offset + length);
    this.copyOut(this.headerScratch, length, false);
    return this.headerScratch;
  }

  private take(length: number): Uint8Array {
    const chunk = this.chunks[this.first]!;
    if (chunk.length - this.offset >= length) {
      const view = chunk.subarray(this.offset, this.offset + length);
      this.offset += length;
      this.available -= length;
      if (this.offset === chunk.length) {
        this.first++;
        this.offset = 0;
        this.compact();
      }
      return view;
    }
    const message = new Uint8Array(length);
    this.copyOut(message, length, true);
    return message;
  }

  /** Copies `length` bytes from the front of the queue into `target`, consuming them when asked. */
  private copyOut(target: Uint8Array, length: number, consume: boolean): void {
    let copied = 0;
    let index = this.first;
    let offset = this.offset;
    while (copied < length) {
      const chunk = this.chunks[index]!;
      const n = Math.min(chunk.length - offset, length - copied);
      target.set(chunk.subarray(offset, offset + n), copied);
      copied += n;
      offset += n;
      if (offset === chunk.length) {
        index++;
        offset = 0;
      }
    }
    if (!consume) return;
    this.available -= length;
    this.first = index;
    this.offset = offset;
    this.compact();
  }

  /** Drops consumed chunks in batches, so the array never shifts per message. */
  private compact(): void {
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 64) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
