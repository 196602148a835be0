import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { BUNDLE_PATH, bundleText, speakerRuntimeEnv } from "./bundle.ts";

const docs = () =>
  parseAllDocuments(readFileSync(BUNDLE_PATH, "utf8"))
    .map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } } | null)
    .filter((d) => d !== null);

describe("deploy/metalbun.yaml", () => {
  test("is generated from deploy/parts and crds (not stale)", () => {
    expect(readFileSync(BUNDLE_PATH, "utf8")).toBe(bundleText());
  });

  test("holds the namespace first, nine CRDs, both ServiceAccounts, the controller and the speaker", () => {
    const all = docs();
    expect(all[0]).toMatchObject({ kind: "Namespace", metadata: { name: "metallb-system" } });
    const crds = all.filter((d) => d.kind === "CustomResourceDefinition").map((d) => d.metadata.name);
    expect(crds.sort()).toEqual([
      "bfdprofiles.metallb.io",
      "bgpadvertisements.metallb.io",
      "bgppeers.metallb.io",
      "communities.metallb.io",
      "configurationstates.metallb.io",
      "ipaddresspools.metallb.io",
      "l2advertisements.metallb.io",
      "servicebgpstatuses.metallb.io",
      "servicel2statuses.metallb.io",
    ]);
    const names = all.map((d) => `${d.kind}/${d.metadata.name}`);
    for (const want of [
      "ServiceAccount/controller",
      "ServiceAccount/speaker",
      "ConfigMap/metallb-excludel2",
      "Deployment/controller",
      "DaemonSet/speaker",
    ]) {
      expect(names).toContain(want);
    }
  });

  test("the speaker runs without JavaScriptCore's optimizing JIT; the lab reads that from here", () => {
    expect(speakerRuntimeEnv()).toEqual({ BUN_JSC_useDFGJIT: "0" });
    // Only literal runtime options are taken: not the speaker's own settings, not fieldRefs.
    const other = readFileSync(BUNDLE_PATH, "utf8").replace(
      "- name: BUN_JSC_useDFGJIT",
      "- name: METALLB_SOMETHING",
    );
    expect(speakerRuntimeEnv(other)).toEqual({});
  });

  test("the speaker is on the host network with NET_RAW only; the controller has no capabilities", () => {
    interface Workload {
      kind: string;
      metadata: { name: string };
      spec: {
        template: {
          spec: {
            hostNetwork?: boolean;
            securityContext: { runAsNonRoot?: boolean };
            containers: Array<{ securityContext: Record<string, unknown> }>;
          };
        };
      };
    }
    const all = docs() as unknown as Workload[];
    const speaker = all.find((d) => d.kind === "DaemonSet" && d.metadata.name === "speaker")!;
    const spec = speaker.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.containers[0]!.securityContext.capabilities).toEqual({ drop: ["ALL"], add: ["NET_RAW"] });
    const controller = all.find((d) => d.kind === "Deployment" && d.metadata.name === "controller")!;
    const c = controller.spec.template.spec;
    expect(c.securityContext.runAsNonRoot).toBe(true);
    expect(c.containers[0]!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });
});
