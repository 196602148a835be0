/**
 * ARP and NDP codecs: golden bytes captured from real traffic in the testbed (tcpdump -xx of
 * iputils arping, ndisc6 and the Linux kernel's own answers), round trips, and every drop reason.
 */
import { describe, expect, test } from "bun:test";
import {
  ARP_REPLY,
  ARP_REQUEST,
  arpReplyFrame,
  decodeArpFrame,
  encodeArpFrame,
  gratuitousArpFrames,
} from "./arp.ts";
import { BROADCAST_MAC, formatMac, MAX_FRAME_BYTES, parseMac } from "./ethernet.ts";
import {
  decodeNdpFrame,
  encodeNdpFrame,
  icmpv6Checksum,
  ipv6MulticastMac,
  NA_FLAG_OVERRIDE,
  NA_FLAG_SOLICITED,
  type NdpFrame,
  solicitedAdvertisementFrame,
  solicitedNodeMulticast,
  unsolicitedAdvertisementFrame,
} from "./ndp.ts";
import { fromHex, mac, toHex } from "./testing.ts";

const MYPC = mac("02:42:ac:12:00:64");
const WORKER = mac("02:42:ac:12:00:03");
const ip4 = (text: string) => new Uint8Array(text.split(".").map(Number));
const VIP4 = ip4("172.18.255.200");
const VIP6 = fromHex("fc00 f853 0ccd e793 0000 0000 0000 00c8");
const MYPC_LL = fromHex("fe80 0000 0000 0000 0042 acff fe12 0064");
const WORKER_LL = fromHex("fe80 0000 0000 0000 0042 acff fe12 0003");

/** `arping -I eth0 172.18.255.200` from mypc (42 bytes: veth does not pad). */
const ARPING_REQUEST = fromHex(`
  ffff ffff ffff 0242 ac12 0064 0806 0001
  0800 0604 0001 0242 ac12 0064 ac12 0064
  ffff ffff ffff ac12 ffc8`);

/** The Linux kernel of myk8s-worker answering `arping 172.18.0.3`. */
const KERNEL_ARP_REPLY = fromHex(`
  0242 ac12 0064 0242 ac12 0003 0806 0001
  0800 0604 0002 0242 ac12 0003 ac12 0003
  0242 ac12 0064 ac12 0064`);

/** `ndisc6 fc00:f853:ccd:e793::c8 eth0` from mypc (checksum computed by mypc's kernel). */
const NDISC6_SOLICITATION = fromHex(`
  3333 ff00 00c8 0242 ac12 0064 86dd 6006
  4767 0020 3aff fe80 0000 0000 0000 0042
  acff fe12 0064 ff02 0000 0000 0000 0000
  0001 ff00 00c8 8700 3667 0000 0000 fc00
  f853 0ccd e793 0000 0000 0000 00c8 0101
  0242 ac12 0064`);

/** The Linux kernel of myk8s-worker answering `ndisc6 fe80::42:acff:fe12:3 eth0` (S and O set). */
const KERNEL_NEIGHBOR_ADVERTISEMENT = fromHex(`
  0242 ac12 0064 0242 ac12 0003 86dd 6000
  0000 0020 3aff fe80 0000 0000 0000 0042
  acff fe12 0003 fe80 0000 0000 0000 0042
  acff fe12 0064 8800 6961 6000 0000 fe80
  0000 0000 0000 0042 acff fe12 0003 0201
  0242 ac12 0003`);

describe("MAC addresses", () => {
  test("parse and format", () => {
    expect(formatMac(parseMac("02:42:AC:12:00:03")!)).toBe("02:42:ac:12:00:03");
    expect(formatMac(parseMac("2-42-ac-12-0-3")!)).toBe("02:42:ac:12:00:03");
    for (const bad of [
      "",
      "02:42:ac:12:00",
      "02:42:ac:12:00:03:04",
      "0g:42:ac:12:00:03",
      "123:42:ac:12:00:03",
    ]) {
      expect(parseMac(bad)).toBeUndefined();
    }
  });
});

describe("ARP codec", () => {
  test("decodes arping's request", () => {
    const d = decodeArpFrame(ARPING_REQUEST);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.operation).toBe(ARP_REQUEST);
    expect(formatMac(d.value.ethSrc)).toBe("02:42:ac:12:00:64");
    expect([...d.value.senderIp]).toEqual([172, 18, 0, 100]);
    expect([...d.value.targetIp]).toEqual([172, 18, 255, 200]);
    expect(toHex(d.value.targetMac)).toBe("ffffffffffff");
  });

  test("our reply has the kernel's bytes, zero-padded to 60", () => {
    const request = decodeArpFrame(ARPING_REQUEST.map((b, i) => (i >= 38 ? [172, 18, 0, 3][i - 38]! : b)));
    expect(request.ok).toBe(true);
    if (!request.ok) return;
    const reply = arpReplyFrame(request.value, WORKER);
    expect(reply.length).toBe(60);
    expect(toHex(reply.subarray(0, 42))).toBe(toHex(KERNEL_ARP_REPLY));
    expect(reply.subarray(42).every((b) => b === 0)).toBe(true);
  });

  test("gratuitous request and reply (RFC 5227 announcement, MetalLB's two forms)", () => {
    const [request, reply] = gratuitousArpFrames(WORKER, VIP4);
    const golden = (op: string) =>
      `ffffffffffff 0242ac120003 0806 0001 0800 06 04 ${op} 0242ac120003 ac12ffc8 ffffffffffff ac12ffc8`.replace(
        /\s/g,
        "",
      ) + "00".repeat(18);
    expect(toHex(request)).toBe(golden("0001"));
    expect(toHex(reply)).toBe(golden("0002"));
  });

  test("encode/decode round trip", () => {
    const fields = {
      ethDst: BROADCAST_MAC,
      ethSrc: MYPC,
      operation: ARP_REPLY,
      senderMac: MYPC,
      senderIp: ip4("10.1.2.3"),
      targetMac: WORKER,
      targetIp: ip4("10.3.2.1"),
    };
    const d = decodeArpFrame(encodeArpFrame(fields));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    for (const k of Object.keys(fields) as Array<keyof typeof fields>) {
      expect(k === "operation" ? d.value[k] : toHex(d.value[k] as Uint8Array)).toEqual(
        k === "operation" ? fields[k] : toHex(fields[k] as Uint8Array),
      );
    }
  });

  test("drop reasons", () => {
    const edit = (i: number, v: number) => ARPING_REQUEST.map((b, j) => (j === i ? v : b));
    expect(decodeArpFrame(ARPING_REQUEST.subarray(0, 41))).toEqual({ ok: false, reason: "truncated" });
    expect(decodeArpFrame(new Uint8Array(0))).toEqual({ ok: false, reason: "truncated" });
    expect(decodeArpFrame(new Uint8Array(MAX_FRAME_BYTES + 1))).toEqual({ ok: false, reason: "oversized" });
    expect(decodeArpFrame(edit(13, 0x00))).toEqual({ ok: false, reason: "wrongEtherType" });
    expect(decodeArpFrame(edit(15, 6))).toEqual({ ok: false, reason: "malformed" }); // htype 6 (IEEE 802)
    expect(decodeArpFrame(edit(17, 0xdd))).toEqual({ ok: false, reason: "malformed" }); // ptype
    expect(decodeArpFrame(edit(18, 8))).toEqual({ ok: false, reason: "malformed" }); // hlen
    expect(decodeArpFrame(edit(19, 16))).toEqual({ ok: false, reason: "malformed" }); // plen
    expect(decodeArpFrame(ARPING_REQUEST, MYPC)).toEqual({ ok: false, reason: "selfSent" });
    expect(decodeArpFrame(ARPING_REQUEST, WORKER).ok).toBe(true);
  });
});

describe("NDP codec", () => {
  test("the checksum of ndisc6's solicitation verifies (RFC 4443 pseudo-header)", () => {
    const src = NDISC6_SOLICITATION.subarray(22, 38);
    const dst = NDISC6_SOLICITATION.subarray(38, 54);
    expect(icmpv6Checksum(src, dst, NDISC6_SOLICITATION, 54, 32)).toBe(0);
    const zeroed = NDISC6_SOLICITATION.slice();
    zeroed[56] = zeroed[57] = 0;
    expect(icmpv6Checksum(src, dst, zeroed, 54, 32)).toBe(0x3667);
  });

  test("odd lengths pad with a zero byte", () => {
    const zero = new Uint8Array(16);
    expect(icmpv6Checksum(zero, zero, new Uint8Array([0x01]))).toBe(~(0x0100 + 1 + 58) & 0xffff);
  });

  test("decodes ndisc6's solicitation", () => {
    const d = decodeNdpFrame(NDISC6_SOLICITATION);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.kind).toBe("ns");
    expect(d.value.hopLimit).toBe(255);
    expect(toHex(d.value.target)).toBe(toHex(VIP6));
    expect(toHex(d.value.srcIp)).toBe(toHex(MYPC_LL));
    expect(toHex(d.value.dstIp)).toBe(toHex(solicitedNodeMulticast(VIP6)));
    expect(formatMac(d.value.linkLayer!)).toBe("02:42:ac:12:00:64");
    expect(toHex(d.value.ethDst)).toBe(toHex(ipv6MulticastMac(solicitedNodeMulticast(VIP6))));
  });

  test("encodes exactly the kernel's Neighbor Advertisement", () => {
    const na = encodeNdpFrame({
      ethDst: MYPC,
      ethSrc: WORKER,
      srcIp: WORKER_LL,
      dstIp: MYPC_LL,
      kind: "na",
      flags: NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE,
      target: WORKER_LL,
      linkLayer: WORKER,
    });
    expect(toHex(na)).toBe(toHex(KERNEL_NEIGHBOR_ADVERTISEMENT));
    const d = decodeNdpFrame(KERNEL_NEIGHBOR_ADVERTISEMENT);
    expect(d.ok && d.value.kind === "na" && d.value.flags).toBe(NA_FLAG_SOLICITED | NA_FLAG_OVERRIDE);
  });

  test("solicited answer: to the solicitor, from the target, S=1 O=0, target link-layer option", () => {
    const ns = decodeNdpFrame(NDISC6_SOLICITATION);
    if (!ns.ok) throw new Error(ns.reason);
    const na = solicitedAdvertisementFrame(ns.value as NdpFrame & { linkLayer: Uint8Array }, WORKER);
    const d = decodeNdpFrame(na);
    if (!d.ok) throw new Error(d.reason);
    expect(formatMac(d.value.ethDst)).toBe("02:42:ac:12:00:64");
    expect(formatMac(d.value.ethSrc)).toBe("02:42:ac:12:00:03");
    expect(toHex(d.value.srcIp)).toBe(toHex(VIP6));
    expect(toHex(d.value.dstIp)).toBe(toHex(MYPC_LL));
    expect(d.value.flags).toBe(NA_FLAG_SOLICITED);
    expect(toHex(d.value.target)).toBe(toHex(VIP6));
    expect(formatMac(d.value.linkLayer!)).toBe("02:42:ac:12:00:03");
    expect(d.value.hopLimit).toBe(255);
  });

  test("unsolicited NA: to ff02::1 (33:33:00:00:00:01), Override=1, Solicited=0", () => {
    const na = unsolicitedAdvertisementFrame(WORKER, VIP6);
    expect(toHex(na)).toBe(
      [
        "333300000001 0242ac120003 86dd",
        "60000000 0020 3a ff",
        toHex(VIP6),
        "ff020000000000000000000000000001",
        "88 00 d54c", // checksum: tcpdump says "sum ok" for this frame on the wire
        "20000000",
        toHex(VIP6),
        "0201 0242ac120003",
      ]
        .join("")
        .replace(/\s/g, ""),
    );
    const d = decodeNdpFrame(na);
    expect(d.ok && d.value.flags).toBe(NA_FLAG_OVERRIDE);
  });

  test("solicited-node group and multicast MAC (RFC 4291 §2.7.1, RFC 2464 §7)", () => {
    expect(toHex(solicitedNodeMulticast(VIP6))).toBe("ff0200000000000000000001ff0000c8");
    expect(formatMac(ipv6MulticastMac(solicitedNodeMulticast(VIP6)))).toBe("33:33:ff:00:00:c8");
  });

  test("NS round trip with and without the source link-layer option", () => {
    for (const linkLayer of [MYPC, undefined]) {
      const frame = encodeNdpFrame({
        ethDst: WORKER,
        ethSrc: MYPC,
        srcIp: MYPC_LL,
        dstIp: VIP6,
        kind: "ns",
        target: VIP6,
        linkLayer,
      });
      const d = decodeNdpFrame(frame);
      if (!d.ok) throw new Error(d.reason);
      expect(d.value.kind).toBe("ns");
      expect(d.value.linkLayer === undefined ? undefined : formatMac(d.value.linkLayer)).toBe(
        linkLayer && formatMac(linkLayer),
      );
    }
  });

  test("drop reasons (RFC 4861 §7.1.1 validity checks)", () => {
    const ns = NDISC6_SOLICITATION;
    const fixSum = (f: Uint8Array) => {
      f[56] = f[57] = 0;
      const sum = icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f, 54, (f[18]! << 8) | f[19]!);
      f[56] = sum >> 8;
      f[57] = sum & 0xff;
      return f;
    };
    const edit = (changes: Record<number, number>, resum = true) => {
      const f = ns.slice();
      for (const [i, v] of Object.entries(changes)) f[Number(i)] = v;
      return resum ? fixSum(f) : f;
    };
    const reason = (f: Uint8Array, own?: Uint8Array) => {
      const d = decodeNdpFrame(f, own);
      return d.ok ? "ok" : d.reason;
    };
    expect(reason(ns)).toBe("ok");
    expect(reason(ns.subarray(0, 53))).toBe("truncated");
    expect(reason(ns.subarray(0, 70))).toBe("truncated"); // payload length says 32
    expect(reason(new Uint8Array(MAX_FRAME_BYTES + 1))).toBe("oversized");
    expect(reason(edit({ 12: 0x08, 13: 0x00 }, false))).toBe("wrongEtherType");
    expect(reason(ns, MYPC)).toBe("selfSent");
    expect(reason(edit({ 14: 0x40 }, false))).toBe("malformed"); // IP version 4 in an IPv6 frame
    expect(reason(edit({ 20: 17 }, false))).toBe("messageType"); // UDP
    expect(reason(edit({ 20: 0 }, false))).toBe("messageType"); // hop-by-hop extension header
    expect(reason(edit({ 54: 128 }))).toBe("messageType"); // echo request
    expect(reason(edit({ 21: 64 }))).toBe("badHopLimit");
    expect(reason(edit({ 57: ns[57]! ^ 1 }, false))).toBe("badChecksum");
    expect(reason(edit({ 55: 1 }))).toBe("malformed"); // code 1
    expect(reason(edit({ 62: 0xff }))).toBe("malformed"); // multicast target
    expect(reason(edit({ 79: 0 }))).toBe("malformed"); // option length 0
    expect(reason(edit({ 79: 2 }))).toBe("malformed"); // option runs past the end
    // DAD: from :: to the solicited-node group, without the option, is valid (and then ignored
    // by the responder); with the option it is invalid.
    const dad = encodeNdpFrame({
      ethDst: ipv6MulticastMac(solicitedNodeMulticast(VIP6)),
      ethSrc: MYPC,
      srcIp: new Uint8Array(16),
      dstIp: solicitedNodeMulticast(VIP6),
      kind: "ns",
      target: VIP6,
    });
    expect(reason(dad)).toBe("ok");
    expect(
      reason(
        encodeNdpFrame({
          ethDst: ipv6MulticastMac(solicitedNodeMulticast(VIP6)),
          ethSrc: MYPC,
          srcIp: new Uint8Array(16),
          dstIp: solicitedNodeMulticast(VIP6),
          kind: "ns",
          target: VIP6,
          linkLayer: MYPC,
        }),
      ),
    ).toBe("malformed");
    // A multicast NA must not claim to be solicited.
    const bad = encodeNdpFrame({
      ethDst: mac("33:33:00:00:00:01"),
      ethSrc: WORKER,
      srcIp: VIP6,
      dstIp: fromHex("ff020000000000000000000000000001"),
      kind: "na",
      flags: NA_FLAG_SOLICITED,
      target: VIP6,
      linkLayer: WORKER,
    });
    expect(reason(bad)).toBe("malformed");
  });
});
