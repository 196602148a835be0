import { describe, expect, test } from "bun:test";
import { claimOf, claimToRecord, isIncumbent } from "./claim.ts";
import { allocationRequestOf } from "./request.ts";
import { aService } from "./testing.ts";

const shared = { "metallb.io/allow-shared-ip": "k" };
const holder = (o: Parameters<typeof aService>[1] = {}) =>
  allocationRequestOf(aService("a", { annotations: shared, ingress: ["10.0.0.1"], ...o }));

describe("claims", () => {
  test("only a sharing Service that ends up holding IPs records a claim", () => {
    expect(claimToRecord(holder(), ["10.0.0.1"])).toBe(claimOf(holder(), ["10.0.0.1"]));
    expect(claimToRecord(holder(), [])).toBeUndefined();
    expect(
      claimToRecord(allocationRequestOf(aService("a", { ingress: ["10.0.0.1"] })), ["10.0.0.1"]),
    ).toBeUndefined();
  });

  test("the port order does not matter; ports, keys, backend and IPs do", () => {
    const claims = new Map([["default/a", claimOf(holder({ ports: ["TCP/80", "UDP/53"] }), ["10.0.0.1"])]]);
    expect(isIncumbent(holder({ ports: ["UDP/53", "TCP/80"] }), claims)).toBe(true);
    expect(isIncumbent(holder({ ports: ["TCP/80"] }), claims)).toBe(false);
    expect(isIncumbent(holder({ ports: ["TCP/80", "UDP/53"], ingress: ["10.0.0.2"] }), claims)).toBe(false);
    expect(isIncumbent(holder({ ports: ["TCP/80", "UDP/53"], etp: "Local" }), claims)).toBe(false);
    const otherKey = { "metallb.io/allow-shared-ip": "x" };
    expect(isIncumbent(holder({ ports: ["TCP/80", "UDP/53"], annotations: otherKey }), claims)).toBe(false);
  });

  test("no claims, no claim for this key, or no IPs held: not an incumbent", () => {
    expect(isIncumbent(holder(), undefined)).toBe(false);
    expect(isIncumbent(holder(), new Map())).toBe(false);
    const claims = new Map([["default/a", claimOf(holder(), [])]]);
    expect(isIncumbent(holder({ ingress: [] }), claims)).toBe(false);
  });
});
