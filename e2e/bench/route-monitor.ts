/**
 * `ip monitor route` inside a namespace, read as it prints: the first time each IPv4 prefix was
 * added there since the monitor started, stamped with performance.now() when the line arrived.
 */
import { inNamespace } from "../net/exec.ts";
import { parseRouteEvent } from "./bgp-router.ts";

export class RouteMonitor {
  private readonly firstAdded = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private readonly proc: ReturnType<typeof Bun.spawn<"ignore", "pipe", "ignore">>;
  private readonly reading: Promise<void>;

  constructor(ns: string) {
    this.proc = Bun.spawn(inNamespace(ns, ["ip", "monitor", "route"]), {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
    });
    this.reading = this.read();
  }

  private async read(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of this.proc.stdout) {
      const at = performance.now();
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const event = parseRouteEvent(line);
        if (event?.kind === "added" && !this.firstAdded.has(event.prefix))
          this.firstAdded.set(event.prefix, at);
      }
      for (const wake of [...this.waiters]) wake();
    }
  }

  /** When `prefix` (a host route, written without /32) was first added, if it was. */
  addedAt(prefix: string): number | undefined {
    return this.firstAdded.get(prefix);
  }

  /** Prefixes added so far. */
  known(): ReadonlySet<string> {
    return new Set(this.firstAdded.keys());
  }

  /** Resolves with the first prefix added that `wanted` accepts, or undefined after `timeoutMs`. */
  async next(wanted: (prefix: string) => boolean, timeoutMs: number): Promise<string | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const prefix of this.firstAdded.keys()) if (wanted(prefix)) return prefix;
      const left = deadline - performance.now();
      if (left <= 0) return undefined;
      await new Promise<void>((wake) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          wake();
        };
        const timer = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGTERM");
    await this.proc.exited;
    await this.reading.catch(() => undefined);
  }
}
