/**
 * A watch on the Services of one namespace that notes when each first showed an assigned IP,
 * stamped with performance.now() as the event arrived: where a create-to-route latency splits into
 * the controller's part and the speaker's (plus the router's).
 */
import type { Service } from "../../operator/src/domain/api/core.ts";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";

export class ServiceIpWatch {
  private readonly assignedAt = new Map<string, number>();
  private readonly abort = new AbortController();
  private readonly reading: Promise<void>;

  private constructor(events: AsyncGenerator<{ type: string; object: unknown }, void, undefined>) {
    this.reading = (async () => {
      for await (const event of events) {
        if (event.type !== "ADDED" && event.type !== "MODIFIED") continue;
        const service = event.object as Service & KubeObject;
        const name = service.metadata.name ?? "";
        if (!this.assignedAt.has(name) && service.status?.loadBalancer?.ingress?.[0]?.ip) {
          this.assignedAt.set(name, performance.now());
        }
      }
    })().catch(() => undefined);
  }

  static async open(client: KubeClient, namespace: string): Promise<ServiceIpWatch> {
    const abort = new AbortController();
    const events = await client.openWatch<Service & KubeObject>(resources.services, {
      namespace,
      signal: abort.signal,
    });
    const watch = new ServiceIpWatch(events);
    watch.abort.signal.addEventListener("abort", () => abort.abort());
    return watch;
  }

  /** When the watch first saw `name` with an IP, if it has. */
  seenAt(name: string): number | undefined {
    return this.assignedAt.get(name);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }
}
