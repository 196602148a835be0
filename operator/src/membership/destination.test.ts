import { describe, expect, test } from "bun:test";
import { beatDestination, type Interfaces, ipv4Broadcast } from "./destination.ts";
import { v4, v6 } from "./testing/interfaces.ts";

const interfaces: Interfaces = {
  lo: [v4("127.0.0.1", 8, true)],
  eth0: [v4("172.18.0.3", 16), v6("fc00:f853:ccd:e793::3", 64), v6("fe80::42:acff:fe12:3", 64, 2)],
  eth1: [v4("10.1.2.3", 24), v4("192.168.7.1", 32)],
};

describe("beatDestination", () => {
  test("IPv4: the subnet broadcast of the bind address's interface", () => {
    expect(beatDestination("172.18.0.3", interfaces)).toEqual({
      ok: true,
      destination: {
        family: "IPv4",
        kind: "broadcast",
        ifname: "eth0",
        bindAddress: "172.18.0.3",
        sendTo: "172.18.255.255",
        listenOn: "172.18.255.255",
        join: undefined,
      },
    });
    const eth1 = beatDestination("10.1.2.3", interfaces);
    expect(eth1.ok && eth1.destination.sendTo).toBe("10.1.2.255");
    expect(eth1.ok && eth1.destination.ifname).toBe("eth1");
  });

  test("IPv6: ff02::1 scoped to the interface, no join needed", () => {
    const r = beatDestination("fc00:f853:ccd:e793::3", interfaces);
    expect(r).toMatchObject({
      ok: true,
      destination: { family: "IPv6", kind: "multicast", sendTo: "ff02::1%eth0", listenOn: "ff02::1%eth0" },
    });
    expect(r.ok && r.destination.join).toBeUndefined();
    const ll = beatDestination("FE80::42:acff:fe12:3", interfaces);
    expect(ll.ok && ll.destination.ifname).toBe("eth0");
  });

  test("overrides: an IPv4 multicast group is joined; an ff02:: group too; a broadcast is used as is", () => {
    expect(beatDestination("172.18.0.3", interfaces, "224.0.0.120")).toMatchObject({
      ok: true,
      destination: { kind: "multicast", sendTo: "224.0.0.120", listenOn: "224.0.0.120", join: "224.0.0.120" },
    });
    expect(beatDestination("172.18.0.3", interfaces, "172.18.255.255")).toMatchObject({
      ok: true,
      destination: { kind: "broadcast", join: undefined },
    });
    expect(beatDestination("fc00:f853:ccd:e793::3", interfaces, "ff02::7946")).toMatchObject({
      ok: true,
      destination: { sendTo: "ff02::7946%eth0", join: "ff02::7946" },
    });
  });

  test("what cannot work is an error, not a guess", () => {
    expect(beatDestination("172.18.0.9", interfaces)).toEqual({
      ok: false,
      error: "172.18.0.9 is not an address of any interface",
    });
    expect(beatDestination("127.0.0.1", interfaces)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/loopback/),
    });
    expect(beatDestination("192.168.7.1", interfaces)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no broadcast/),
    });
    expect(beatDestination("172.18.0.3", interfaces, "not-an-ip")).toMatchObject({ ok: false });
    expect(beatDestination("fc00:f853:ccd:e793::3", interfaces, "ff05::1")).toMatchObject({
      ok: false,
      error: expect.stringMatching(/ff02/),
    });
  });
});

describe("ipv4Broadcast", () => {
  test("host bits all ones; none for /31 and /32", () => {
    expect(ipv4Broadcast("172.18.0.3", 16)).toBe("172.18.255.255");
    expect(ipv4Broadcast("10.0.0.130", 25)).toBe("10.0.0.255");
    expect(ipv4Broadcast("10.0.0.129", 30)).toBe("10.0.0.131");
    expect(ipv4Broadcast("255.255.255.254", 8)).toBe("255.255.255.255");
    expect(ipv4Broadcast("10.0.0.1", 0)).toBe("255.255.255.255");
    expect(ipv4Broadcast("10.0.0.1", 31)).toBeUndefined();
    expect(ipv4Broadcast("10.0.0.1", 32)).toBeUndefined();
    expect(ipv4Broadcast("10.0.0", 24)).toBeUndefined();
  });
});
