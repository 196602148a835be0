/**
 * A BGP session toward a loopback peer, for tests and benches: AS 64512 to AS 64500 at
 * 127.0.0.1:`port`, hold time 90 s, connect retry 2 s, every optional feature off.
 */
import type { BgpSessionSpec } from "../../../domain/bgp/types.ts";

export function loopbackSessionSpec(port: number, overrides: Partial<BgpSessionSpec> = {}): BgpSessionSpec {
  return {
    peer: "router",
    myASN: 64512,
    peerASN: 64500,
    dynamicASN: undefined,
    peerAddress: "127.0.0.1",
    peerPort: port,
    sourceAddress: undefined,
    routerID: undefined,
    holdTimeS: 90,
    keepaliveTimeS: 0,
    connectTimeS: 2,
    password: undefined,
    ebgpMultiHop: false,
    dualStackAddressFamily: false,
    bfd: undefined,
    gracefulRestart: false,
    ...overrides,
  };
}
