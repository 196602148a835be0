/** The families metalbun speaks, as the AFI/SAFI pairs of RFC 4760 §3 (IANA registries). */
import { AFI_IPV4, AFI_IPV6, type Family, SAFI_UNICAST } from "./types.ts";

export function familyOf(afi: number, safi: number): Family | undefined {
  if (safi !== SAFI_UNICAST) return undefined;
  if (afi === AFI_IPV4) return "ipv4-unicast";
  if (afi === AFI_IPV6) return "ipv6-unicast";
  return undefined;
}

export function afiOf(family: Family): number {
  return family === "ipv4-unicast" ? AFI_IPV4 : AFI_IPV6;
}
