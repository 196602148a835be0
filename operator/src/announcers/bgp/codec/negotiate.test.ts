import { expect, test } from "bun:test";
import { NO_CAPABILITIES } from "./capabilities.ts";
import { negotiateContext } from "./negotiate.ts";

const ours = {
  ...NO_CAPABILITIES,
  families: ["ipv4-unicast", "ipv6-unicast"] as const,
  fourOctetASN: 64512,
  extendedMessage: true,
};

test("both must send 4-octet AS and Extended Message; families are the intersection", () => {
  expect(
    negotiateContext(ours, { ...NO_CAPABILITIES, families: ["ipv6-unicast"], fourOctetASN: 1 }, false),
  ).toEqual({
    fourOctetASN: true,
    extendedMessage: false,
    families: ["ipv6-unicast"],
    internal: false,
  });
});

test("a peer without any multiprotocol capability speaks IPv4 unicast only", () => {
  expect(negotiateContext(ours, NO_CAPABILITIES, true).families).toEqual(["ipv4-unicast"]);
  const onlyUnknown = { ...NO_CAPABILITIES, unknown: [{ code: 1, value: Uint8Array.of(0, 25, 0, 70) }] };
  expect(negotiateContext(ours, onlyUnknown, true).families).toEqual([]);
});
