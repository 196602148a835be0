/** The node binaries (kubelet, kube-proxy, controller-manager, scheduler, containerd, runc, pause), built once. */
import { join } from "node:path";

const BUILD_SCRIPT = join(import.meta.dir, "build-node-binaries.sh");

let cached: string | undefined;

export async function nodeBinDir(): Promise<string> {
  if (cached) return cached;
  const proc = Bun.spawn(["bash", BUILD_SCRIPT], { stdout: "pipe", stderr: "inherit" });
  const out = (await new Response(proc.stdout).text()).trim();
  if ((await proc.exited) !== 0) throw new Error(`${BUILD_SCRIPT} failed`);
  cached = out.split("\n").at(-1)!;
  return cached;
}
