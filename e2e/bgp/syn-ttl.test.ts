import { expect, test } from "bun:test";
import { parseSynTtls } from "./syn-ttl.ts";

const SAMPLE = `IP (tos 0xc0, ttl 1, id 4242, offset 0, flags [DF], proto TCP (6), length 60)
    172.18.0.3.40112 > 172.18.0.254.179: Flags [S], cksum 0x5c4f (incorrect -> 0x1f2e), seq 1, win 64240, length 0
IP (tos 0xc0, ttl 255, id 1, offset 0, flags [DF], proto TCP (6), length 60)
    172.18.0.2.40113 > 172.18.0.254.179: Flags [S], cksum 0x5c4f, seq 1, win 64240, length 0
IP (tos 0xc0, ttl 1, id 4243, offset 0, flags [DF], proto TCP (6), length 52)
    172.18.0.3.40112 > 172.18.0.254.179: Flags [.], ack 1, win 502, length 0
IP6 (flowlabel 0x1, hlim 1, next-header TCP (6) payload length: 40) fc00:f853:ccd:e793::4.51000 > fc00:f853:ccd:e793::fe.179: Flags [S], cksum 0x1 (correct), seq 9, win 64800, length 0
IP (tos 0xc0, ttl 1, id 4250, offset 0, flags [DF], proto TCP (6), length 60)
    172.18.0.3.40114 > 172.18.0.254.179: Flags [S], cksum 0x5c4f, seq 2, win 64240, length 0
`;

test("SYN TTLs by source: IPv4 ttl and IPv6 hlim; ACKs and duplicates ignored", () => {
  const ttls = parseSynTtls(SAMPLE);
  expect([...ttls.keys()].sort()).toEqual(["172.18.0.2", "172.18.0.3", "fc00:f853:ccd:e793::4"]);
  expect(ttls.get("172.18.0.3")).toEqual([1]);
  expect(ttls.get("172.18.0.2")).toEqual([255]);
  expect(ttls.get("fc00:f853:ccd:e793::4")).toEqual([1]);
});

test("nothing captured: no sources", () => {
  expect(parseSynTtls("").size).toBe(0);
});
