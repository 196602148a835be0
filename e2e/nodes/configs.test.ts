/** What each real node is told (pure: the files' text), checked against the traps of this machine kind. */
import { describe, expect, test } from "bun:test";
import { parse as parseYaml } from "yaml";
import { cniTemplate, containerdConfig, kubeconfig, kubeletConfig, kubeProxyConfig } from "./configs.ts";
import { nodeFiles } from "./paths.ts";

const files = nodeFiles("myk8s-worker");

/**
 * Renders the one Go template form the CNI template uses, as containerd would:
 * `{{range $i, $x := .Field}}{{if $i}}SEP{{end}}BODY{{end}}`, with `{{$x}}` in BODY.
 */
function renderRanges(template: string, fields: Record<string, readonly string[]>): string {
  return template.replace(
    /\{\{range \$i, \$(\w+) := \.(\w+)\}\}\{\{if \$i\}\}(.*?)\{\{end\}\}(.*?)\{\{end\}\}/g,
    (_, name: string, field: string, separator: string, body: string) =>
      (fields[field] ?? []).map((value) => body.replaceAll(`{{$${name}}}`, value)).join(separator),
  );
}

describe("node configuration", () => {
  test("containerd clamps oom_score_adj, uses our runc and pause, and keeps its state in the node's directory", () => {
    const text = containerdConfig({ files, binDir: "/b", pauseImage: "docker.io/metalbun-testbed/pause:1" });
    // biome-ignore lint/suspicious/noExplicitAny: a parsed TOML document, read field by field below
    const toml = Bun.TOML.parse(text) as Record<string, any>;
    expect(toml.version).toBe(3);
    expect(toml.root).toStartWith(files.dir);
    expect(toml.state).toStartWith(files.dir);
    const runtime = toml.plugins["io.containerd.cri.v1.runtime"];
    expect(runtime.restrict_oom_score_adj).toBe(true);
    const runc = runtime.containerd.runtimes.runc.options;
    expect(runc.BinaryName).toBe("/b/runc");
    expect(runc.SystemdCgroup).toBe(false);
    expect(runc.Root).toStartWith(files.dir);
    expect(toml.plugins["io.containerd.cri.v1.images"].pinned_images.sandbox).toBe(
      "docker.io/metalbun-testbed/pause:1",
    );
  });

  test("the kubelet runs on cgroup v1 under the node's own cgroup root and registers the control-plane taint", () => {
    const worker = parseYaml(
      kubeletConfig({
        node: "myk8s-worker",
        nodeIp: "172.18.0.3",
        files,
        caFile: "/ca",
        controlPlane: false,
      }),
    );
    expect(worker.failCgroupV1).toBe(false);
    expect(worker.cgroupDriver).toBe("cgroupfs");
    expect(worker.cgroupRoot).toBe("/metalbun-myk8s-worker");
    expect(worker.address).toBe("172.18.0.3");
    expect(worker.containerRuntimeEndpoint).toBe(`unix://${files.containerdSocket}`);
    expect(worker.registerWithTaints).toBeUndefined();
    const cp = parseYaml(
      kubeletConfig({
        node: "myk8s-control-plane",
        nodeIp: "172.18.0.2",
        files,
        caFile: "/ca",
        controlPlane: true,
      }),
    );
    expect(cp.registerWithTaints).toEqual([
      { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
    ]);
  });

  test("kube-proxy leaves the global conntrack table size alone, in either mode", () => {
    for (const mode of ["iptables", "nftables"] as const) {
      const p = parseYaml(kubeProxyConfig({ node: "myk8s-worker", files, mode }));
      expect(p.mode).toBe(mode);
      expect(p.conntrack).toEqual({ maxPerCore: 0, min: 0 });
      expect(p.hostnameOverride).toBe("myk8s-worker");
      expect(p.clusterCIDR).toBe("10.244.0.0/16,fd00:10:244::/56");
    }
  });

  test("the CNI template gives a pod an address and a default route of every family the node has", () => {
    const template = cniTemplate(files);
    const dual = JSON.parse(
      renderRanges(template, {
        PodCIDRRanges: ["10.244.1.0/24", "fd00:10:244:1::/64"],
        Routes: ["0.0.0.0/0", "::/0"],
      }),
    );
    expect(dual.plugins[0].type).toBe("bridge");
    expect(dual.plugins[0].ipam.ranges).toEqual([
      [{ subnet: "10.244.1.0/24" }],
      [{ subnet: "fd00:10:244:1::/64" }],
    ]);
    expect(dual.plugins[0].ipam.routes).toEqual([{ dst: "0.0.0.0/0" }, { dst: "::/0" }]);
    expect(dual.plugins[0].ipam.dataDir).toStartWith(files.dir);
    const single = JSON.parse(
      renderRanges(template, { PodCIDRRanges: ["10.244.1.0/24"], Routes: ["0.0.0.0/0"] }),
    );
    expect(single.plugins[0].ipam.ranges).toEqual([[{ subnet: "10.244.1.0/24" }]]);
    expect(single.plugins[0].ipam.routes).toEqual([{ dst: "0.0.0.0/0" }]);
  });

  test("a kubeconfig names the server, the CA and the identity's certificate", () => {
    const k = parseYaml(
      kubeconfig({
        server: "https://172.18.0.2:16443",
        caFile: "/ca",
        certFile: "/c",
        keyFile: "/k",
        user: "u",
      }),
    );
    expect(k.clusters[0].cluster.server).toBe("https://172.18.0.2:16443");
    expect(k.users[0].user["client-certificate"]).toBe("/c");
    expect(k["current-context"]).toBe("default");
  });
});
