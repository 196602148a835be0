/**
 * The classic BPF programs attached to the packet sockets, run by a tiny interpreter of the four
 * opcodes they use: the NDP socket takes Neighbor Solicitations only (not every IPv6 frame of the
 * interface), the ARP socket ARP only. (The sockets themselves are tested with real packets in
 * e2e/l2.)
 */
import { expect, test } from "bun:test";
import { gratuitousArpFrames } from "./arp.ts";
import {
  encodeNdpFrame,
  ipv6MulticastMac,
  solicitedNodeMulticast,
  unsolicitedAdvertisementFrame,
} from "./ndp.ts";
import { bpfProgram } from "./packet-socket.ts";
import { fromHex, mac } from "./testing.ts";

function runFilter(program: ReturnType<typeof bpfProgram>, frame: Uint8Array): number {
  let a = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const [code, jt, jf, k] = program[pc]!;
    switch (code) {
      case 0x28: // ldh [k]
        if (k + 2 > frame.length) return 0;
        a = (frame[k]! << 8) | frame[k + 1]!;
        break;
      case 0x30: // ldb [k]
        if (k + 1 > frame.length) return 0;
        a = frame[k]!;
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`opcode ${code} not interpreted`);
    }
  }
  throw new Error("fell off the end");
}

const MYPC = mac("02:42:ac:12:00:64");
const VIP6 = fromHex("fc00 f853 0ccd e793 0000 0000 0000 00c8");
const ns = encodeNdpFrame({
  ethDst: ipv6MulticastMac(solicitedNodeMulticast(VIP6)),
  ethSrc: MYPC,
  srcIp: fromHex("fe80 0000 0000 0000 0042 acff fe12 0064"),
  dstIp: solicitedNodeMulticast(VIP6),
  kind: "ns",
  target: VIP6,
  linkLayer: MYPC,
});
const na = unsolicitedAdvertisementFrame(MYPC, VIP6);
const [arp] = gratuitousArpFrames(MYPC, new Uint8Array([172, 18, 255, 200]));
const udp6 = ns.slice();
udp6[20] = 17;

test("NDP filter: Neighbor Solicitations only", () => {
  const ndp = bpfProgram("ndp");
  expect(runFilter(ndp, ns)).toBeGreaterThan(1500);
  for (const other of [na, arp!, udp6, ns.subarray(0, 40), new Uint8Array(0)])
    expect(runFilter(ndp, other)).toBe(0);
});

test("ARP filter: ARP only", () => {
  const arpFilter = bpfProgram("arp");
  expect(runFilter(arpFilter, arp!)).toBeGreaterThan(1500);
  for (const other of [ns, na, new Uint8Array(10)]) expect(runFilter(arpFilter, other)).toBe(0);
});
