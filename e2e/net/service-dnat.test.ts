import { describe, expect, test } from "bun:test";
import { normalizeTargets, serviceDnatScript, targetComment } from "./service-dnat.ts";
import { nodeNamed } from "./topology.ts";

const worker = nodeNamed("myk8s-worker");

describe("service DNAT script", () => {
  test("replaces the whole table in one transaction, IPv4 and IPv6 to the node's web server", () => {
    const script = serviceDnatScript(
      worker,
      normalizeTargets(["172.18.255.200", "fc00:f853:ccd:e793:ffff::c8"]),
    );
    const lines = script.split("\n");
    expect(lines[0]).toBe("table inet metalbun_kube_proxy");
    expect(lines[1]).toBe("delete table inet metalbun_kube_proxy");
    expect(script).toContain(
      'ip daddr 172.18.255.200 tcp dport 80 dnat ip to 172.18.0.3:8080 comment "svc 172.18.255.200:80"',
    );
    expect(script).toContain(
      "ip6 daddr fc00:f853:ccd:e793:ffff::c8 tcp dport 80 dnat ip6 to [fc00:f853:ccd:e793::3]:8080",
    );
    // Both arriving traffic and the node's own traffic are translated.
    expect(script).toContain("type nat hook prerouting priority dstnat");
    expect(script).toContain("type nat hook output priority -100");
  });

  test("an empty set only removes the table", () => {
    expect(serviceDnatScript(worker, [])).toBe(
      "table inet metalbun_kube_proxy\ndelete table inet metalbun_kube_proxy\n",
    );
  });

  test("targets are deduplicated and sorted, so equal sets give equal scripts", () => {
    const a = normalizeTargets(["172.18.255.201", { ip: "172.18.255.200" }, "172.18.255.201"]);
    const b = normalizeTargets([{ ip: "172.18.255.200", port: 80 }, "172.18.255.201"]);
    expect(a).toEqual(b);
    expect(a.map(targetComment)).toEqual(["svc 172.18.255.200:80", "svc 172.18.255.201:80"]);
  });

  test("rejects what is not an address or a port (nothing reaches nft unchecked)", () => {
    expect(() => normalizeTargets(["172.18.255.200; flush ruleset"])).toThrow(/not an IP address/);
    expect(() => normalizeTargets([{ ip: "172.18.255.200", port: 0 }])).toThrow(/not a port/);
    expect(() => normalizeTargets([{ ip: "172.18.255.200", port: 70000 }])).toThrow(/not a port/);
  });
});
