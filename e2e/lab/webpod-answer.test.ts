import { describe, expect, test } from "bun:test";
import { nodeOfSource, parseWebpodAnswer } from "./webpod-answer.ts";

const CIDRS = new Map([
  ["myk8s-worker", ["10.244.1.0/24", "fd00:10:244:1::/64"]],
  ["myk8s-worker2", ["10.244.2.0/24", "fd00:10:244:2::/64"]],
]);

describe("webpod answers", () => {
  test("the pod's hostname and the address it saw the request come from", () => {
    const body =
      "Hostname: webpod-5d8f-abcde\nIP: 127.0.0.1\nIP: 10.244.2.7\nRemoteAddr: 172.18.0.3:40312\nGET / HTTP/1.1\n";
    expect(parseWebpodAnswer(body)).toEqual({ hostname: "webpod-5d8f-abcde", remoteIp: "172.18.0.3" });
    expect(parseWebpodAnswer("RemoteAddr: [fc00:f853:ccd:e793::3]:80\nHostname: w\n")?.remoteIp).toBe(
      "fc00:f853:ccd:e793::3",
    );
    expect(parseWebpodAnswer("curl: (7) Failed to connect")).toBeUndefined();
  });

  test("a source address names the entering node: its eth0 address or its cni0 gateway", () => {
    expect(nodeOfSource("172.18.0.3", CIDRS)).toBe("myk8s-worker");
    expect(nodeOfSource("10.244.2.1", CIDRS)).toBe("myk8s-worker2");
    expect(nodeOfSource("10.244.2.7", CIDRS)).toBeUndefined();
    expect(nodeOfSource("172.18.0.100", CIDRS)).toBeUndefined();
  });

  test("the same over IPv6: the node's eth0 address or the first address of its IPv6 podCIDR", () => {
    expect(nodeOfSource("fc00:f853:ccd:e793::4", CIDRS)).toBe("myk8s-worker2");
    expect(nodeOfSource("fd00:10:244:1::1", CIDRS)).toBe("myk8s-worker");
    // however the address is written
    expect(nodeOfSource("fd00:10:244:2:0:0:0:1", CIDRS)).toBe("myk8s-worker2");
    expect(nodeOfSource("fd00:10:244:1::7", CIDRS)).toBeUndefined();
    expect(nodeOfSource("fc00:f853:ccd:e793::64", CIDRS)).toBeUndefined();
    expect(nodeOfSource("not an address", CIDRS)).toBeUndefined();
  });

  test("one podCIDR per node (IPv4 only) is read as well", () => {
    const v4 = new Map([["myk8s-worker", "10.244.1.0/24"]]);
    expect(nodeOfSource("10.244.1.1", v4)).toBe("myk8s-worker");
    expect(nodeOfSource("fd00:10:244:1::1", v4)).toBeUndefined();
  });
});
