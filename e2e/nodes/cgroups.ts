/**
 * Each node's pods live under a cgroup of their own in every cgroup v1 hierarchy (the kubelet's
 * cgroupRoot), made before the node starts and removed, deepest first, once its processes are gone.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { nodeCgroupRoot } from "./paths.ts";

const CGROUP_FS = "/sys/fs/cgroup";

/**
 * The hierarchies mounted on this machine: the v1 ones, and (with `unified`) the cgroup2 mount of a
 * hybrid set-up, which holds no controllers but where the kubelet mirrors its pod cgroups too.
 */
function hierarchies(unified: boolean): string[] {
  return readdirSync(CGROUP_FS)
    .filter((name) => unified || name !== "unified")
    .map((name) => join(CGROUP_FS, name))
    .filter((dir) => statSync(dir).isDirectory());
}

export function createNodeCgroups(node: string): void {
  for (const h of hierarchies(false)) {
    const dir = join(h, nodeCgroupRoot(node));
    mkdirSync(dir, { recursive: true });
    // A new cpuset has no CPUs or memory nodes until told: give it the machine's.
    if (h.endsWith("/cpuset")) {
      for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        writeFileSync(join(dir, file), readFileSync(join(h, file), "utf8"));
      }
    }
  }
}

function subdirectoriesDeepestFirst(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
    }
    found.push(d);
  };
  walk(dir);
  return found;
}

/**
 * Removes the node's cgroups. A cgroup whose last process just died may stay busy a moment; a
 * cgroup that still holds processes after `timeoutMs` is reported, never forced.
 */
export async function removeNodeCgroups(node: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const left: string[] = [];
  for (const h of hierarchies(true)) {
    const root = join(h, nodeCgroupRoot(node));
    if (!existsSync(root)) continue;
    for (const dir of subdirectoriesDeepestFirst(root)) {
      for (;;) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT") break;
          if (code !== "EBUSY" || Date.now() > deadline) {
            left.push(`${dir} (${code})`);
            break;
          }
          await Bun.sleep(50);
        }
      }
    }
  }
  return left;
}

/** Every cgroup directory a node left behind (for status and for tests that check the clean-up). */
export function leftoverNodeCgroups(node: string): string[] {
  return hierarchies(true)
    .map((h) => join(h, nodeCgroupRoot(node)))
    .filter((dir) => existsSync(dir));
}
