import type { OpenTransport, PacketHandler, Transport } from "../transport.ts";

interface Port {
  readonly name: string;
  readonly onPacket: PacketHandler;
  open: boolean;
  /** Packets held while this port's loop is "stalled", delivered by release(). */
  held: Uint8Array[] | undefined;
}

/**
 * An in-memory L2 segment for unit tests: every packet sent by one port is delivered, at once and
 * in order, to every open port (the sender too, as the kernel loops broadcasts back), unless a cut
 * separates them. Records everything sent, so tests can replay or mangle real packets.
 */
export class Hub {
  private readonly ports: Port[] = [];
  private readonly cuts = new Set<string>();
  private groups: string[][] | undefined;
  readonly sent: Array<{ from: string; bytes: Uint8Array }> = [];

  attach(name: string, opts: { failOpen?: boolean } = {}): OpenTransport {
    return async (onPacket) => {
      if (opts.failOpen) throw new Error(`bind EADDRINUSE (${name})`);
      const port: Port = { name, onPacket, open: true, held: undefined };
      this.ports.push(port);
      const transport: Transport = {
        send: (bytes) => {
          if (!port.open || this.cuts.has(name)) return !this.cuts.has(name) && port.open;
          this.sent.push({ from: name, bytes: bytes.slice() });
          for (const p of [...this.ports]) if (this.connected(name, p.name)) this.deliver(p, bytes.slice());
          return true;
        },
        close: () => {
          port.open = false;
        },
      };
      return transport;
    };
  }

  private connected(from: string, to: string): boolean {
    if (from === to) return true;
    if (this.cuts.has(from) || this.cuts.has(to)) return false;
    if (!this.groups) return true;
    return this.groups.some((g) => g.includes(from) && g.includes(to));
  }

  private deliver(p: Port, bytes: Uint8Array): void {
    if (!p.open) return;
    if (p.held) p.held.push(bytes);
    else p.onPacket(bytes);
  }

  /** Sends raw bytes from outside (an attacker or a replay) to every open port. */
  inject(bytes: Uint8Array): void {
    for (const p of [...this.ports]) this.deliver(p, bytes.slice());
  }

  /** The node's link goes down (send fails, nothing in or out) / comes back. */
  cut(name: string): void {
    this.cuts.add(name);
  }
  heal(name: string): void {
    this.cuts.delete(name);
  }

  /** Only nodes in the same group hear each other (undefined: one segment again). */
  partition(groups: string[][] | undefined): void {
    this.groups = groups;
  }

  /** Packets to `name` wait in its "socket buffer" until release(). */
  hold(name: string): void {
    for (const p of this.ports) if (p.name === name && p.open) p.held ??= [];
  }
  release(name: string): void {
    for (const p of this.ports) {
      if (p.name !== name || !p.held) continue;
      const queued = p.held;
      p.held = undefined;
      for (const bytes of queued) this.deliver(p, bytes);
    }
  }

  openPorts(): string[] {
    return this.ports.filter((p) => p.open).map((p) => p.name);
  }
}
