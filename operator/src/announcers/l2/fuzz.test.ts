/**
 * The decoders and responders are total: 1,200,000 random and mutated frames (seeded, so a failure
 * reproduces), 0 exceptions, every result either a decoded frame or a known drop reason. Mutations
 * that keep the checksum valid reach the checks behind it.
 */
import { expect, test } from "bun:test";
import { addressKey, parseIP } from "../../domain/ip/index.ts";
import { decodeArpFrame, gratuitousArpFrames } from "./arp.ts";
import { DROP_REASONS, type DropReason } from "./drop.ts";
import { MAX_FRAME_BYTES } from "./ethernet.ts";
import {
  decodeNdpFrame,
  encodeNdpFrame,
  icmpv6Checksum,
  ipv6MulticastMac,
  solicitedNodeMulticast,
  unsolicitedAdvertisementFrame,
} from "./ndp.ts";
import { type AnnouncedIp, answerArp, answerNdp } from "./responder.ts";
import { fromHex, mac } from "./testing.ts";

const RANDOM_FRAMES = 500_000;
const MUTATED_FRAMES = 700_000;

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORKER = mac("02:42:ac:12:00:03");
const MYPC = mac("02:42:ac:12:00:64");
const VIP4 = new Uint8Array([172, 18, 255, 200]);
const VIP6 = fromHex("fc00 f853 0ccd e793 0000 0000 0000 00c8");
const MYPC_LL = fromHex("fe80 0000 0000 0000 0042 acff fe12 0064");

const SEEDS: Uint8Array[] = [
  fromHex(
    "ffffffffffff0242ac1200640806000108000604000102 42ac120064ac120064ffffffffffffac12ffc8".replace(
      /\s/g,
      "",
    ),
  ),
  ...gratuitousArpFrames(WORKER, VIP4),
  encodeNdpFrame({
    ethDst: ipv6MulticastMac(solicitedNodeMulticast(VIP6)),
    ethSrc: MYPC,
    srcIp: MYPC_LL,
    dstIp: solicitedNodeMulticast(VIP6),
    kind: "ns",
    target: VIP6,
    linkLayer: MYPC,
  }),
  encodeNdpFrame({
    ethDst: WORKER,
    ethSrc: MYPC,
    srcIp: MYPC_LL,
    dstIp: VIP6,
    kind: "ns",
    target: VIP6,
    linkLayer: MYPC,
  }),
  encodeNdpFrame({
    ethDst: ipv6MulticastMac(solicitedNodeMulticast(VIP6)),
    ethSrc: MYPC,
    srcIp: new Uint8Array(16),
    dstIp: solicitedNodeMulticast(VIP6),
    kind: "ns",
    target: VIP6,
  }),
  unsolicitedAdvertisementFrame(WORKER, VIP6),
];

const announced = new Map<number | string, AnnouncedIp>([
  [addressKey(parseIP("172.18.255.200")!), { text: "172.18.255.200", interfaces: undefined }],
  [
    addressKey(parseIP("fc00:f853:ccd:e793::c8")!),
    { text: "fc00:f853:ccd:e793::c8", interfaces: new Set(["eth1"]) },
  ],
]);
const lookup = (key: number | string) => announced.get(key);

function fixIcmpChecksum(f: Uint8Array): void {
  if (f.length < 58 || f[12] !== 0x86 || f[13] !== 0xdd) return;
  const length = Math.min((f[18]! << 8) | f[19]!, f.length - 54);
  f[56] = f[57] = 0;
  const sum = icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f, 54, length);
  f[56] = sum >> 8;
  f[57] = sum & 0xff;
}

test("1.2M random and mutated frames: 0 exceptions, only known drop reasons", () => {
  const random = prng(0x5eed);
  const int = (n: number) => Math.floor(random() * n);
  const known = new Set<string>(DROP_REASONS);
  const seen = new Map<string, number>();
  const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);
  let exceptions = 0;
  let firstError: unknown;

  const feed = (frame: Uint8Array) => {
    try {
      for (const d of [
        decodeArpFrame(frame),
        decodeArpFrame(frame, WORKER),
        decodeNdpFrame(frame),
        decodeNdpFrame(frame, MYPC),
      ]) {
        if (!d.ok && !known.has(d.reason)) throw new Error(`unknown reason ${d.reason}`);
      }
      for (const iface of ["eth0", "eth1"]) {
        for (const v of [
          answerArp(frame, { name: iface, mac: WORKER }, lookup),
          answerNdp(frame, { name: iface, mac: WORKER }, lookup),
        ]) {
          if ("drop" in v) {
            if (!known.has(v.drop)) throw new Error(`unknown reason ${v.drop}`);
            count(v.drop);
          } else {
            if (!(v.reply instanceof Uint8Array) || v.reply.length < 42) throw new Error("bad reply");
            count("reply");
          }
        }
      }
    } catch (err) {
      exceptions++;
      firstError ??= err;
    }
  };

  const started = performance.now();
  for (let n = 0; n < RANDOM_FRAMES; n++) {
    // Mostly short frames; some up to past the maximum.
    const length = random() < 0.9 ? int(130) : int(MAX_FRAME_BYTES + 200);
    const frame = new Uint8Array(length);
    for (let i = 0; i < length; i++) frame[i] = int(256);
    // Steer half of them past the ethertype check, and some IPv6 ones to ICMPv6 NS/NA with hop limit 255.
    if (length >= 14 && random() < 0.5) {
      const ipv6 = random() < 0.5;
      frame[12] = ipv6 ? 0x86 : 0x08;
      frame[13] = ipv6 ? 0xdd : 0x06;
      if (ipv6 && length >= 58) {
        frame[14] = 0x60;
        frame[18] = 0;
        frame[19] = Math.min(length - 54, int(80));
        frame[20] = 58;
        frame[21] = 255;
        frame[54] = random() < 0.5 ? 135 : 136;
        if (random() < 0.5) fixIcmpChecksum(frame);
      } else if (!ipv6 && length >= 20) {
        frame.set([0, 1, 8, 0, 6, 4], 14);
      }
    }
    feed(frame);
  }
  for (let n = 0; n < MUTATED_FRAMES; n++) {
    const seed = SEEDS[int(SEEDS.length)]!;
    let frame = seed.slice();
    const mutations = 1 + int(4);
    for (let m = 0; m < mutations; m++) {
      const kind = int(5);
      if (kind === 0 && frame.length > 0) frame[int(frame.length)]! ^= 1 << int(8);
      else if (kind === 1 && frame.length > 0) frame[int(frame.length)] = int(256);
      else if (kind === 2) frame = frame.slice(0, int(frame.length + 1));
      else if (kind === 3) {
        const longer = new Uint8Array(frame.length + 1 + int(random() < 0.05 ? 1600 : 24));
        longer.set(frame);
        for (let i = frame.length; i < longer.length; i++) longer[i] = int(256);
        frame = longer;
      } else if (kind === 4 && frame.length > 60) {
        frame[int(frame.length - 54) + 54] = int(256); // somewhere in the ICMPv6 part
      }
    }
    if (random() < 0.6) fixIcmpChecksum(frame);
    feed(frame);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `fuzz: ${RANDOM_FRAMES + MUTATED_FRAMES} frames in ${seconds.toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries([...seen].sort()))}`,
  );
  if (firstError) console.error(firstError);
  expect(exceptions).toBe(0);
  // The fuzzer reaches every check of the responders, and some frames get answers.
  const reached: DropReason[] = [
    "truncated",
    "oversized",
    "wrongEtherType",
    "malformed",
    "arpReply",
    "ethernetDestination",
    "messageType",
    "badHopLimit",
    "badChecksum",
    "noSourceLL",
    "announceIP",
    "notMatchInterface",
  ];
  for (const reason of reached) expect(seen.get(reason) ?? 0).toBeGreaterThan(0);
  expect(seen.get("reply") ?? 0).toBeGreaterThan(0);
}, 120_000);
