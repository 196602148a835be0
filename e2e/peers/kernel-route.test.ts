import { describe, expect, test } from "bun:test";
import { parseKernelNexthops } from "./kernel-route.ts";

describe("parseKernelNexthops", () => {
  test("an ECMP route lists each nexthop", () => {
    const json = JSON.stringify([
      {
        dst: "172.18.255.200",
        nhid: 12,
        protocol: "bgp",
        nexthops: [
          { gateway: "172.18.0.4", dev: "eth0", weight: 1 },
          { gateway: "172.18.0.3", dev: "eth0", weight: 1 },
        ],
      },
    ]);
    expect(parseKernelNexthops(json)).toEqual(["172.18.0.3", "172.18.0.4"]);
  });

  test("a single-path route, and no route at all", () => {
    expect(parseKernelNexthops('[{"dst":"172.18.255.200","gateway":"172.18.0.3","dev":"eth0"}]')).toEqual([
      "172.18.0.3",
    ]);
    expect(parseKernelNexthops("[]")).toEqual([]);
    expect(parseKernelNexthops("")).toEqual([]);
  });
});
