/**
 * An in-memory LinkSocketFactory for unit tests: frames are injected with `deliver`, and what the
 * announcer sends is recorded per interface. No I/O.
 */
import type { LinkInterface, LinkProtocol, LinkSocket, LinkSocketFactory } from "./link-socket.ts";

export interface SentFrame {
  readonly iface: string;
  readonly protocol: LinkProtocol;
  readonly frame: Uint8Array;
}

export class FakeLinkSocket implements LinkSocket {
  closed = false;
  readonly groups = new Set<string>();
  constructor(
    private readonly owner: FakeLinkSocketFactory,
    readonly iface: LinkInterface,
    readonly protocol: LinkProtocol,
    readonly onFrame: (frame: Uint8Array) => void,
  ) {}

  send(frame: Uint8Array): string | undefined {
    if (this.closed) return "closed";
    const failure = this.owner.sendFailure?.(this.iface.name, frame);
    if (failure !== undefined) return failure;
    this.owner.sent.push({ iface: this.iface.name, protocol: this.protocol, frame: frame.slice() });
    return undefined;
  }

  joinGroup(group: Uint8Array): string | undefined {
    if (this.protocol !== "ndp") return undefined;
    const key = Buffer.from(group).toString("hex");
    if (this.groups.has(key)) return "EADDRINUSE";
    this.groups.add(key);
    return undefined;
  }

  leaveGroup(group: Uint8Array): string | undefined {
    if (this.protocol !== "ndp") return undefined;
    return this.groups.delete(Buffer.from(group).toString("hex")) ? undefined : "EADDRNOTAVAIL";
  }

  close(): void {
    this.closed = true;
  }
}

export class FakeLinkSocketFactory implements LinkSocketFactory {
  readonly sockets: FakeLinkSocket[] = [];
  readonly sent: SentFrame[] = [];
  factoryClosed = false;
  /** Makes `open` throw for these interface names (e.g. "eth1" -> "EPERM"). */
  readonly openFailures = new Map<string, string>();
  /** Set by the announcer; tests call it to simulate the receive loop reporting an error. */
  onReceiveError: ((iface: string, protocol: LinkProtocol, error: string) => void) | undefined;
  /** When set, returns an error text for a frame to make `send` fail. */
  sendFailure: ((iface: string, frame: Uint8Array) => string | undefined) | undefined;

  open(iface: LinkInterface, protocol: LinkProtocol, onFrame: (frame: Uint8Array) => void): LinkSocket {
    const failure = this.openFailures.get(iface.name);
    if (failure !== undefined) throw new Error(failure);
    const socket = new FakeLinkSocket(this, iface, protocol, onFrame);
    this.sockets.push(socket);
    return socket;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.close();
    this.factoryClosed = true;
  }

  /** Open sockets, by "iface/protocol". */
  openSockets(): string[] {
    return this.sockets.filter((s) => !s.closed).map((s) => `${s.iface.name}/${s.protocol}`);
  }

  socket(iface: string, protocol: LinkProtocol): FakeLinkSocket | undefined {
    return this.sockets.find((s) => !s.closed && s.iface.name === iface && s.protocol === protocol);
  }

  /** Delivers a received frame to the open socket of that interface and protocol; false if none. */
  deliver(iface: string, protocol: LinkProtocol, frame: Uint8Array): boolean {
    const socket = this.socket(iface, protocol);
    if (!socket) return false;
    socket.onFrame(frame);
    return true;
  }

  /** Takes (and forgets) what was sent so far. */
  takeSent(): SentFrame[] {
    return this.sent.splice(0, this.sent.length);
  }
}
