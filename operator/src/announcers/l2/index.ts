export * from "./announcer.ts";
export type { DropReason } from "./drop.ts";
export { DROP_REASONS } from "./drop.ts";
export {
  compileExcludePatterns,
  DEFAULT_EXCLUDE_PATTERNS,
  type NetInterface,
  type SkipReason,
} from "./interfaces.ts";
export type { LinkInterface, LinkProtocol, LinkSocket, LinkSocketFactory } from "./link-socket.ts";
export { PacketLinkSocketFactory, packetSocketsAvailable } from "./packet-socket.ts";
