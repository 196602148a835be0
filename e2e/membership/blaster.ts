/**
 * Simulated speakers for the load test: run in `mypc`.
 *
 *   bun e2e/membership/blaster.ts <bindIp> <broadcast> <port> <count> <seconds> <secret>
 *
 * Beats as <count> nodes named sim-000, sim-001, ... every 100 ms each (authenticated with the
 * cluster key, one incarnation each, increasing sequences), spread evenly over 10 ms slots, for
 * <seconds>. Prints {"sent": n, "maxSlotLateMs": x} at the end.
 */
import { beatKeyFromSecret } from "../../operator/src/membership/key.ts";
import { encodeBeat } from "../../operator/src/membership/packet.ts";

const [bindIp = "", broadcast = "", portText = "7946", countText = "246", secondsText = "10", secret = ""] =
  process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const key = beatKeyFromSecret(new TextEncoder().encode(secret));
const names = Array.from({ length: count }, (_, i) => `sim-${String(i).padStart(3, "0")}`);
const incarnation = Date.now();
const seqs = names.map(() => 0);

const socket = await Bun.udpSocket({ hostname: bindIp, port });
socket.setBroadcast(true);
const SLOTS = 10;
const slotMs = 100 / SLOTS;
const start = performance.now();
const end = start + Number(secondsText) * 1000;
let sent = 0;
let maxSlotLateMs = 0;
for (let slot = 0; ; slot += 1) {
  const due = start + slot * slotMs;
  if (due >= end) break;
  const wait = due - performance.now();
  if (wait > 0) await Bun.sleep(wait);
  maxSlotLateMs = Math.max(maxSlotLateMs, performance.now() - due);
  for (let i = slot % SLOTS; i < count; i += SLOTS) {
    seqs[i] = (seqs[i] ?? 0) + 1;
    const bytes = encodeBeat(
      { kind: "alive", node: names[i]!, incarnation, seq: seqs[i]!, intervalMs: 100 },
      key,
    );
    if (socket.send(bytes, port, broadcast)) sent += 1;
  }
}
socket.close();
console.log(JSON.stringify({ sent, maxSlotLateMs: Math.round(maxSlotLateMs * 10) / 10 }));
process.exit(0);
