/**
 * IP addresses as the wire has them (4 or 16 bytes) and as the rest of metalbun has them
 * (domain/ip's IPAddress, canonical text, addressKey). Pure.
 */
import { type IPAddress, ipAddress } from "../../domain/ip/index.ts";

/** 4 bytes -> IPv4, 16 bytes -> IPv6 (an IPv4-mapped IPv6 address stays IPv6: on the wire it is one). */
export function addressFromBytes(bytes: Uint8Array): IPAddress {
  if (bytes.length === 4) {
    return ipAddress(
      "ipv4",
      BigInt(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0),
    )!;
  }
  let hex = "0x";
  for (let i = 0; i < 16; i++) hex += (bytes[i] ?? 0).toString(16).padStart(2, "0");
  return ipAddress("ipv6", BigInt(hex))!;
}

/** The 4 (IPv4) or 16 (IPv6) network-order bytes of an address. */
export function addressBytes(address: IPAddress): Uint8Array {
  const size = address.family === "ipv4" ? 4 : 16;
  const out = new Uint8Array(size);
  let value = address.value;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}
