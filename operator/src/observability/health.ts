/**
 * /healthz and /readyz, as MetalLB serves them on --health-probe-port (17472). Unlike MetalLB's plain
 * pings, /readyz answers 200 only once the component says it is ready (for now: the apiserver was
 * reached), and names what it is waiting for otherwise, so a NotReady pod explains itself.
 * `/debug/memory` says what the process holds (memory.ts).
 */
import { memoryReport } from "./memory.ts";

export interface HealthState {
  /** Empty when ready; otherwise what readiness waits for. */
  readonly notReadyBecause: string;
}

export interface HealthServer {
  readonly port: number;
  stop(): Promise<void>;
}

export function startHealthServer(hostname: string, port: number, state: () => HealthState): HealthServer {
  const server = Bun.serve({
    hostname,
    port,
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/healthz" || path === "/livez") return new Response("ok\n");
      if (path === "/debug/memory") return Response.json(memoryReport());
      if (path === "/readyz") {
        const why = state().notReadyBecause;
        return why === "" ? new Response("ok\n") : new Response(`not ready: ${why}\n`, { status: 503 });
      }
      return new Response("not found\n", { status: 404 });
    },
  });
  return {
    port: server.port ?? port,
    stop: () => server.stop(true),
  };
}
