/** os.networkInterfaces() entries for the membership tests. */
import type { NetworkInterfaceInfo } from "node:os";

export function v4(address: string, prefix: number, internal = false): NetworkInterfaceInfo {
  return { address, cidr: `${address}/${prefix}`, netmask: "", family: "IPv4", mac: "", internal };
}

export function v6(address: string, prefix: number, scopeid = 0): NetworkInterfaceInfo {
  return {
    address,
    cidr: `${address}/${prefix}`,
    netmask: "",
    family: "IPv6",
    mac: "",
    internal: false,
    scopeid,
  };
}
