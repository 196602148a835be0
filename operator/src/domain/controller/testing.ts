/** Controller inputs for tests and benches. */
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { ControllerInputs } from "./inputs.ts";

/** Every input but the Services: these pools and nothing else configured. */
export function onlyPools(...pools: IPAddressPool[]): Omit<ControllerInputs, "services" | "serviceIndex"> {
  return {
    namespaces: [],
    ipAddressPools: pools,
    l2Advertisements: [],
    bgpAdvertisements: [],
    bgpPeers: [],
    bfdProfiles: [],
    communities: [],
  };
}
