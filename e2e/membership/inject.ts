/**
 * An attacker (or a confused neighbour) on the segment, for the e2e tests: run in `mypc`.
 *
 *   bun e2e/membership/inject.ts <bindIp> <broadcast> <port> <victimNode>
 *
 * Captures one real heartbeat of <victimNode> off the wire (it cannot verify it: it has no key),
 * waits until the members have accepted it, then sends: the captured packet again 5 times
 * (replays), a copy cut short (truncated), and beats tagged with a wrong key: an "intruder" alive
 * beat and a "leaving" beat in the victim's name (forged). Prints one JSON line of what it sent.
 */
import { beatKeyFromSecret } from "../../operator/src/membership/key.ts";
import { encodeBeat } from "../../operator/src/membership/packet.ts";

const [bindIp = "", broadcast = "", portText = "7946", victim = ""] = process.argv.slice(2);
const port = Number(portText);

function nameOf(bytes: Uint8Array): string | undefined {
  if (bytes.length < 27 || bytes[0] !== 0x4d) return undefined;
  const length = bytes[7] ?? 0;
  return new TextDecoder().decode(bytes.subarray(26, 26 + length));
}

let captured: Uint8Array | undefined;
const listener = await Bun.udpSocket({
  hostname: broadcast,
  port,
  socket: {
    data(_s, data) {
      if (!captured && nameOf(data) === victim) captured = new Uint8Array(data);
    },
  },
});
const deadline = Date.now() + 5000;
while (!captured && Date.now() < deadline) await Bun.sleep(5);
listener.close();
if (!captured) {
  console.error(`no heartbeat of ${victim} seen on ${broadcast}:${port}`);
  process.exit(2);
}
await Bun.sleep(300);

const sender = await Bun.udpSocket({ hostname: bindIp, port });
sender.setBroadcast(true);
const wrongKey = beatKeyFromSecret(new TextEncoder().encode("not the cluster's secret"));
const now = Date.now();
const packets: Array<[string, Uint8Array]> = [
  ...Array.from({ length: 5 }, (): [string, Uint8Array] => ["replayed", captured as Uint8Array]),
  ["truncated", captured.subarray(0, captured.length - 4)],
  [
    "forged",
    encodeBeat({ kind: "alive", node: "intruder", incarnation: now, seq: 1, intervalMs: 100 }, wrongKey),
  ],
  [
    "forged",
    encodeBeat({ kind: "leaving", node: victim, incarnation: now, seq: 1, intervalMs: 100 }, wrongKey),
  ],
];
for (const [, bytes] of packets) {
  sender.send(bytes, port, broadcast);
  await Bun.sleep(2);
}
sender.close();
const sent: Record<string, number> = {};
for (const [kind] of packets) sent[kind] = (sent[kind] ?? 0) + 1;
console.log(JSON.stringify({ captured: captured.length, sent }));
process.exit(0);
