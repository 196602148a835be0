import { describe, expect, test } from "bun:test";
import {
  APISERVER_REACHABLE_FROM,
  BRIDGE_NAMESPACE,
  CLIENT,
  ipv6ForIpv4,
  MEMBERS,
  macForIpv4,
  memberByMac,
  NAMESPACES,
  NODES,
  nodeNamed,
  ROUTER,
} from "./topology.ts";

describe("topology", () => {
  test("the seed's names and addresses", () => {
    expect(NODES.map((n) => [n.name, n.ipv4])).toEqual([
      ["myk8s-control-plane", "172.18.0.2"],
      ["myk8s-worker", "172.18.0.3"],
      ["myk8s-worker2", "172.18.0.4"],
      ["myk8s-worker3", "172.18.0.5"],
    ]);
    expect([CLIENT.name, CLIENT.ipv4]).toEqual(["mypc", "172.18.0.100"]);
    expect([ROUTER.name, ROUTER.ipv4]).toEqual(["router", "172.18.0.254"]);
    expect(NAMESPACES).toEqual([BRIDGE_NAMESPACE, ...MEMBERS.map((m) => m.name)]);
  });

  test("MACs follow docker's rule 02:42 + IPv4 bytes, so a MAC names its node", () => {
    expect(macForIpv4("172.18.0.3")).toBe("02:42:ac:12:00:03");
    expect(macForIpv4("172.18.0.100")).toBe("02:42:ac:12:00:64");
    expect(() => macForIpv4("172.18.0")).toThrow();
    expect(() => macForIpv4("172.18.0.256")).toThrow();
    for (const m of MEMBERS) expect(memberByMac(m.mac.toUpperCase())).toBe(m);
    expect(memberByMac("02:42:ac:12:00:99")).toBeUndefined();
  });

  test("IPv6 twins share the IPv4 host byte, in hex", () => {
    expect(ipv6ForIpv4("172.18.0.2")).toBe("fc00:f853:ccd:e793::2");
    expect(ipv6ForIpv4("172.18.0.100")).toBe("fc00:f853:ccd:e793::64");
    expect(ROUTER.ipv6).toBe("fc00:f853:ccd:e793::fe");
  });

  test("every address, MAC and interface name is unique and fits the kernel's 15-character limit", () => {
    for (const key of ["name", "ipv4", "ipv6", "mac", "bridgePort"] as const) {
      expect(new Set(MEMBERS.map((m) => m[key])).size).toBe(MEMBERS.length);
    }
    for (const m of MEMBERS) {
      expect(m.bridgePort.length).toBeLessThanOrEqual(15);
      expect(m.ifname).toBe("eth0");
    }
  });

  test("the apiserver forwarder is planned for the nodes and mypc only", () => {
    expect(APISERVER_REACHABLE_FROM).toEqual([...NODES.map((n) => n.name), "mypc"]);
  });

  test("nodeNamed refuses non-nodes and unknown names", () => {
    expect(nodeNamed("myk8s-worker2").ipv4).toBe("172.18.0.4");
    expect(() => nodeNamed("mypc")).toThrow(/not a node/);
    expect(() => nodeNamed("myk8s-worker9")).toThrow(/no such testbed member/);
  });
});
