import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatMac } from "./ethernet.ts";
import {
  compileExcludePatterns,
  DEFAULT_EXCLUDE_PATTERNS,
  IFF_BROADCAST,
  IFF_NOARP,
  IFF_UP,
  interfaceVerdict,
  readInterfaces,
} from "./interfaces.ts";
import { ethernetInterface, toHex } from "./testing.ts";

const DEFAULT = compileExcludePatterns(DEFAULT_EXCLUDE_PATTERNS).regexps;

describe("interfaceVerdict (MetalLB §4.3)", () => {
  const eth = ethernetInterface("eth0", 2);
  test.each([
    ["eth0, up, broadcast, link-local", eth, { arp: true, ndp: true }],
    ["no link-local: ARP only", { ...eth, linkLocal: undefined }, { arp: true, ndp: false }],
    ["not broadcast: NDP only", { ...eth, flags: IFF_UP }, { arp: false, ndp: true }],
    [
      "neither",
      { ...eth, flags: IFF_UP, linkLocal: undefined },
      { arp: false, ndp: false, skipped: "noAddress" },
    ],
    ["down", { ...eth, flags: IFF_BROADCAST }, { arp: false, ndp: false, skipped: "down" }],
    ["enslaved (has a master)", { ...eth, hasMaster: true }, { arp: false, ndp: false, skipped: "enslaved" }],
    [
      "NOARP",
      { ...eth, flags: IFF_UP | IFF_BROADCAST | IFF_NOARP },
      { arp: false, ndp: false, skipped: "noarp" },
    ],
    ["loopback type", { ...eth, name: "lo0", type: 772 }, { arp: false, ndp: false, skipped: "notEthernet" }],
    ["no MAC", { ...eth, mac: undefined }, { arp: false, ndp: false, skipped: "notEthernet" }],
    [
      "excluded beats everything",
      { ...eth, name: "docker0", flags: 0 },
      { arp: false, ndp: false, skipped: "excluded" },
    ],
  ] as const)("%s", (_, iface, expected) => {
    expect(interfaceVerdict(iface, DEFAULT)).toEqual(expected);
  });

  test("MetalLB's default exclude list", () => {
    const excluded = (name: string) =>
      interfaceVerdict(ethernetInterface(name, 3), DEFAULT).skipped === "excluded";
    for (const name of [
      "docker0",
      "cbr0",
      "dummy0",
      "virbr0",
      "lxcbr0",
      "veth1234",
      "lo",
      "cali12ab",
      "tunl0",
      "flannel.1",
      "kube-ipvs0",
      "cni0",
      "nodelocaldns",
      "lxc1234",
    ]) {
      expect(excluded(name)).toBe(true);
    }
    for (const name of ["eth0", "ens3", "bond0", "br0", "enp0s31f6", "wlan0", "lo1", "myveth"]) {
      expect(excluded(name)).toBe(false);
    }
  });

  test("global/sticky regexes give the same answer every time", () => {
    const sticky = [/^eth1$/g];
    const eth1 = ethernetInterface("eth1", 3);
    for (let i = 0; i < 3; i++) expect(interfaceVerdict(eth1, sticky).skipped).toBe("excluded");
  });

  test("bad patterns are returned, not thrown", () => {
    expect(compileExcludePatterns(["^ok$", "(unclosed"]).invalid).toEqual(["(unclosed"]);
  });
});

describe("readInterfaces (sysfs + /proc/net/if_inet6)", () => {
  const root = mkdtempSync(join(tmpdir(), "l2-sysfs-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const sys = join(root, "class-net");
  const dev = (name: string, files: Record<string, string>) => {
    mkdirSync(join(sys, name), { recursive: true });
    for (const [f, v] of Object.entries(files)) writeFileSync(join(sys, name, f), `${v}\n`);
  };
  dev("eth0", { ifindex: "2", type: "1", flags: "0x1003", address: "02:42:ac:12:00:03" });
  dev("eth1", { ifindex: "3", type: "1", flags: "0x1803", address: "02:42:ac:12:00:04", master: "bond0" });
  dev("lo", { ifindex: "1", type: "772", flags: "0x9", address: "00:00:00:00:00:00" });
  dev("gone", { type: "1" }); // vanished while being read: no ifindex
  const inet6 = join(root, "if_inet6");
  writeFileSync(
    inet6,
    [
      "fc00f8530ccde7930000000000000003 02 40 00 80     eth0",
      "fe800000000000000042acfffe120003 02 40 20 80     eth0",
      "fe800000000000000042acfffe120004 03 40 20 88     eth1", // dadfailed
      "00000000000000000000000000000001 01 80 10 80       lo",
      "garbage",
    ].join("\n"),
  );

  test("reads index, type, flags, MAC, master and the usable link-local", () => {
    const found = readInterfaces(sys, inet6);
    expect(found.map((i) => i.name)).toEqual(["eth0", "eth1", "lo"]);
    const [eth0, eth1, lo] = found;
    expect(eth0).toMatchObject({ index: 2, type: 1, flags: 0x1003, hasMaster: false });
    expect(formatMac(eth0!.mac!)).toBe("02:42:ac:12:00:03");
    expect(toHex(eth0!.linkLocal!)).toBe("fe800000000000000042acfffe120003");
    expect(eth1).toMatchObject({ hasMaster: true, linkLocal: undefined });
    expect(lo).toMatchObject({ type: 772, linkLocal: undefined });
  });

  test("a missing directory is no interfaces, not an error", () => {
    expect(readInterfaces(join(root, "nope"), join(root, "nope6"))).toEqual([]);
  });
});
