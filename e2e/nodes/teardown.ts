/**
 * Removes whatever real nodes left on the machine: their processes (by the pids recorded at start),
 * cgroups, state directories and the mount points made for them, and the controller-manager and
 * scheduler. Safe to call at any time, also when nothing runs; the network's own teardown calls it
 * first, so `net down` after a crashed run leaves nothing behind either.
 */
import { existsSync, rmSync } from "node:fs";
import { NODES } from "../net/topology.ts";
import { stopControllers } from "./control-plane.ts";
import { removeCreatedMountPoints, removeNode } from "./node.ts";
import { NODES_STATE_DIR } from "./paths.ts";

/** Returns what could not be removed (empty when the machine is clean). */
export async function removeRealNodes(): Promise<string[]> {
  if (!existsSync(NODES_STATE_DIR)) return [];
  const problems = (await Promise.all(NODES.map((member) => removeNode(member)))).flat();
  removeCreatedMountPoints();
  await stopControllers();
  if (problems.length === 0) rmSync(NODES_STATE_DIR, { recursive: true, force: true });
  return problems;
}
