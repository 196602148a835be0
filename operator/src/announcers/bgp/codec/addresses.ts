/** Address text <-> wire bytes, through the domain's parser so text is canonical both ways. */
import { formatIP, parseIP } from "../../../domain/ip/index.ts";

/** A dotted quad as a u32, or undefined when the text is not an IPv4 address. */
export function ipv4Number(text: string): number | undefined {
  const address = parseIP(text);
  return address?.family === "ipv4" ? Number(address.value) : undefined;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** An IPv6 address's 16 bytes, or undefined when the text is not one (IPv4-mapped text is IPv4). */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const address = parseIP(text);
  if (address?.family !== "ipv6") return undefined;
  const bytes = new Uint8Array(16);
  let value = address.value;
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return bytes;
}

/** Canonical text of 16 bytes at `offset` (RFC 5952, as Go prints it). */
export function formatIPv6(bytes: Uint8Array, offset: number): string {
  let hex = "0x";
  for (let i = 0; i < 16; i++) hex += (bytes[offset + i] ?? 0).toString(16).padStart(2, "0");
  return formatIP({ family: "ipv6", value: BigInt(hex) });
}
