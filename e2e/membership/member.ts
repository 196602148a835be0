/**
 * One membership member as a process, for the e2e tests: run inside a node namespace with
 * `spawnIn(node, ["bun", "e2e/membership/member.ts"], { env })`.
 *
 * Environment: MB_NODE, MB_BIND, MB_SECRET (empty or unset: unauthenticated), MB_INTERVAL_MS,
 * MB_DEAD_AFTER_MS, MB_THREAD (worker | inline), MB_BROADCAST, MB_OVERLAP_MS (time between leave()
 * and stop() on SIGTERM, default 200), MB_BLOCK_MS (how long SIGUSR1 blocks the main thread).
 *
 * stdout: one JSON object per line, each with `t` (wall-clock ms, sub-ms precision, comparable
 * across namespaces) and `type`: started | members | counters | blocked | left | stopped.
 * Signals: SIGTERM = leave, overlap, stop, exit 0; SIGUSR1 = block the main thread; SIGUSR2 = print
 * the counters. Logs go to stderr.
 */
import { Membership } from "../../operator/src/membership/index.ts";

const env = process.env;
const wallNow = () => performance.timeOrigin + performance.now();
const emit = (type: string, fields: Record<string, unknown> = {}) =>
  process.stdout.write(`${JSON.stringify({ t: wallNow(), type, ...fields })}\n`);
const logAt =
  (level: string) =>
  (fields: object, msg: string): void => {
    process.stderr.write(`${JSON.stringify({ t: wallNow(), level, ...fields, msg })}\n`);
  };

const nodeName = env.MB_NODE ?? "";
const secret = env.MB_SECRET ? new TextEncoder().encode(env.MB_SECRET) : undefined;
const membership = new Membership({
  nodeName,
  key: secret,
  bindAddress: env.MB_BIND ?? "",
  broadcastAddress: env.MB_BROADCAST || undefined,
  intervalMs: env.MB_INTERVAL_MS ? Number(env.MB_INTERVAL_MS) : undefined,
  deadAfterMs: env.MB_DEAD_AFTER_MS ? Number(env.MB_DEAD_AFTER_MS) : undefined,
  thread: env.MB_THREAD === "inline" ? "inline" : "worker",
  log: { debug: logAt("debug"), info: logAt("info"), warn: logAt("warn"), error: logAt("error") },
});

membership.changes$.subscribe(({ members, changes }) => emit("members", { members: [...members], changes }));

let ending = false;
process.on("SIGTERM", () => {
  if (ending) return;
  ending = true;
  void (async () => {
    await membership.leave();
    emit("left");
    await Bun.sleep(Number(env.MB_OVERLAP_MS ?? 200));
    emit("counters", { counters: await membership.counters() });
    await membership.stop();
    emit("stopped");
    process.exit(0);
  })();
});
process.on("SIGUSR1", () => {
  const ms = Number(env.MB_BLOCK_MS ?? 1000);
  const from = wallNow();
  while (wallNow() - from < ms) {
    // a synchronous main-thread hog: a huge reconcile, a big JSON.parse
  }
  emit("blocked", { ms });
});
process.on("SIGUSR2", () => {
  void membership.counters().then((counters) => emit("counters", { counters }));
});

await membership.start();
emit("started", { node: nodeName, pid: process.pid });
