import type { IPAddress } from "./address.ts";
import { type Cidr, cidrSize } from "./cidr.ts";

/**
 * The addresses of a prefix in ascending order, lazily: a /64 is fine as long as the caller
 * stops early. `limit` bounds how many are produced.
 */
export function* addressesIn(cidr: Cidr, limit: bigint = cidrSize(cidr)): Generator<IPAddress> {
  const end = cidr.network + (limit < cidrSize(cidr) ? limit : cidrSize(cidr));
  for (let value = cidr.network; value < end; value++) yield { family: cidr.family, value };
}
