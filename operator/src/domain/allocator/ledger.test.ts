import { describe, expect, test } from "bun:test";
import { aPool, validConfig } from "../config/testing.ts";
import { formatIP, parseIP } from "../ip/address.ts";
import { Ledger } from "./ledger.ts";

const config = validConfig({ ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/30"] })] });
const pool = config.pools.byName.get("p")!;
const ip = (text: string) => parseIP(text)!;
const claimant = (key: string, sharingKey = "", ports = ["TCP/80"]) => ({
  key,
  ports,
  sharingKey,
  backendKey: "",
});
const lowest = (ledger: Ledger, c = claimant("x")) => {
  const address = ledger.lowestAvailable(pool, 0, c);
  return address === undefined ? undefined : formatIP(address);
};

describe("Ledger.release", () => {
  test("a released address is the lowest free one again, and counts drop", () => {
    const ledger = new Ledger();
    for (const [key, address] of [
      ["a", "10.0.0.0"],
      ["b", "10.0.0.1"],
      ["c", "10.0.0.2"],
    ] as const) {
      expect(lowest(ledger)).toBe(address);
      ledger.reserve(claimant(key), "p", [ip(address)]);
    }
    ledger.release("b");
    expect(ledger.isUsed(ip("10.0.0.1"))).toBe(false);
    expect(ledger.inUse("p")).toEqual({ ipv4: 2, ipv6: 0 });
    expect(lowest(ledger)).toBe("10.0.0.1");
  });

  test("a shared address stays with the other holder, its ports freed", () => {
    const ledger = new Ledger();
    ledger.reserve(claimant("a", "k", ["TCP/80"]), "p", [ip("10.0.0.0")]);
    ledger.reserve(claimant("b", "k", ["TCP/443"]), "p", [ip("10.0.0.0")]);
    expect(ledger.sharingProblem(claimant("c", "k", ["TCP/80"]), ip("10.0.0.0"))).toContain("port TCP/80");
    ledger.release("a");
    expect(ledger.isUsed(ip("10.0.0.0"))).toBe(true);
    expect(ledger.sharingProblem(claimant("c", "k", ["TCP/80"]), ip("10.0.0.0"))).toBeUndefined();
    ledger.release("b");
    expect(ledger.isUsed(ip("10.0.0.0"))).toBe(false);
    expect(ledger.inUse("p")).toEqual({ ipv4: 0, ipv6: 0 });
    expect(lowest(ledger, claimant("c", "k"))).toBe("10.0.0.0");
  });
});
