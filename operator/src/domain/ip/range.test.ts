import { describe, expect, test } from "bun:test";
import { parseIP } from "./address.ts";
import { formatCIDR } from "./cidr.ts";
import { parseAddressEntry, rangeToCidrs } from "./range.ts";

function entry(text: string): string[] | string {
  const parsed = parseAddressEntry(text);
  return parsed.ok ? parsed.value.map(formatCIDR) : parsed.error;
}

describe("parseAddressEntry", () => {
  test.each([
    [
      "172.18.255.200-172.18.255.250",
      [
        "172.18.255.200/29",
        "172.18.255.208/28",
        "172.18.255.224/28",
        "172.18.255.240/29",
        "172.18.255.248/31",
        "172.18.255.250/32",
      ],
    ],
    ["10.0.0.0 - 10.0.0.255", ["10.0.0.0/24"]],
    [" 10.0.0.5-10.0.0.5 ", ["10.0.0.5/32"]],
    ["10.0.0.1-10.0.0.6", ["10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"]],
    ["0.0.0.0-255.255.255.255", ["0.0.0.0/0"]],
    ["fc00::1-fc00::4", ["fc00::1/128", "fc00::2/127", "fc00::4/128"]],
    ["fc00::-fc00::ffff:ffff:ffff:ffff", ["fc00::/64"]],
    ["10.0.0.0/24", ["10.0.0.0/24"]],
    ["10.0.0.9/24", ["10.0.0.0/24"]],
  ])("%p -> %p", (text, cidrs) => {
    expect(entry(text)).toEqual(cidrs);
  });

  test.each([
    [
      "10.0.0.10-10.0.0.1",
      'invalid IP range "10.0.0.10-10.0.0.1": start IP "10.0.0.10" is after the end IP "10.0.0.1"',
    ],
    [
      "10.0.0.1-fc00::1",
      'invalid IP range "10.0.0.1-fc00::1": start IP "10.0.0.1" and end IP "fc00::1" are of different families',
    ],
    ["10.0.0.x-10.0.0.1", 'invalid IP range "10.0.0.x-10.0.0.1": invalid start IP "10.0.0.x"'],
    ["10.0.0.1-", 'invalid IP range "10.0.0.1-": invalid end IP ""'],
    [
      "10.0.0.1-10.0.0.2-10.0.0.3",
      'invalid IP range "10.0.0.1-10.0.0.2-10.0.0.3": invalid end IP "10.0.0.2-10.0.0.3"',
    ],
    ["10.0.0.1", 'invalid CIDR "10.0.0.1"'],
    ["", 'invalid CIDR ""'],
  ])("%p is rejected: %s", (text, message) => {
    expect(entry(text)).toBe(message);
  });
});

describe("rangeToCidrs", () => {
  test("covers exactly the range with the fewest prefixes", () => {
    for (const [a, b] of [
      [3, 200],
      [0, 255],
      [1, 1],
      [17, 18],
      [128, 255],
    ] as const) {
      const first = parseIP(`10.0.0.${a}`)!;
      const last = parseIP(`10.0.0.${b}`)!;
      const cidrs = rangeToCidrs(first, last);
      let next = first.value;
      for (const c of cidrs) {
        expect(c.network).toBe(next);
        next = c.network + (1n << BigInt(32 - c.prefix));
      }
      expect(next).toBe(last.value + 1n);
    }
  });
  test("an inverted or mixed range is empty", () => {
    expect(rangeToCidrs(parseIP("10.0.0.2")!, parseIP("10.0.0.1")!)).toEqual([]);
    expect(rangeToCidrs(parseIP("10.0.0.2")!, parseIP("::1")!)).toEqual([]);
  });
});
