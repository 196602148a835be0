/**
 * A BFD peer in a process of its own, for tests that need it to fall silent at once (SIGKILL): a
 * Worker blocked in poll(2) cannot be terminated from its own process. argv: the BfdPorts and the
 * BfdPeerSpec as JSON; prints each state it reaches.
 */
import { BfdHost } from "../host.ts";
import type { BfdPeerSpec, BfdPorts } from "../runner.ts";

const ports = JSON.parse(process.argv[2]!) as BfdPorts;
const spec = JSON.parse(process.argv[3]!) as BfdPeerSpec;
const host = new BfdHost(
  {
    change: (_key, change) => console.log(change.to),
    problem: (detail) => console.error(detail),
  },
  { ports },
);
host.setDesired([spec]);
process.on("SIGTERM", () => void host.stop().then(() => process.exit(0)));
