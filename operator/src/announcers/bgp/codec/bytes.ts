/** Big-endian reads and a fixed-capacity writer: the codec's only byte plumbing. */

export function u16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

export function u32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) * 0x1000000 +
      (((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0))) >>>
    0
  );
}

export function u16Bytes(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}

/** Writes into a buffer sized up front by the encoder, which knows every field's length. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  offset = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  u8(value: number): this {
    this.bytes[this.offset++] = value & 0xff;
    return this;
  }

  u16(value: number): this {
    this.bytes[this.offset++] = (value >>> 8) & 0xff;
    this.bytes[this.offset++] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    this.bytes[this.offset++] = (value >>> 24) & 0xff;
    this.bytes[this.offset++] = (value >>> 16) & 0xff;
    this.bytes[this.offset++] = (value >>> 8) & 0xff;
    this.bytes[this.offset++] = value & 0xff;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
    return this;
  }

  /** The bytes written so far (a view). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.offset);
  }
}
