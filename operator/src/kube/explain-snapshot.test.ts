import { describe, expect, test } from "bun:test";
import { KubeClient } from "./client.ts";
import { flagValue, readExplainSnapshot, speakerPresenceOf } from "./explain-snapshot.ts";

const connection = {
  server: "https://apiserver",
  tls: { rejectUnauthorized: true },
  namespace: "metallb-system",
  source: "kubeconfig" as const,
};

const pod = (name: string, component: string, node: string, ready: boolean, args: string[] = []) => ({
  metadata: { name, labels: { app: "metallb", component } },
  spec: { nodeName: node, containers: [{ name: component, args }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
});

describe("the explain snapshot reader", () => {
  test("lists every kind (all pages), reads the Pods' flags, and reports a forbidden kind as a problem", async () => {
    const asked: string[] = [];
    const fetch = async (url: string) => {
      const u = new URL(url);
      asked.push(`${u.pathname}?${u.searchParams.get("continue") ?? ""}`);
      if (u.pathname === "/apis/metallb.io/v1beta1/namespaces/metallb-system/servicebgpstatuses")
        return Response.json(
          { kind: "Status", code: 403, reason: "Forbidden", message: "no" },
          { status: 403 },
        );
      if (u.pathname === "/api/v1/namespaces/metallb-system/pods")
        return Response.json({
          metadata: {},
          items: [
            pod("controller-x", "controller", "n0", true, ["--lb-class=example.com/lb"]),
            pod("speaker-a", "speaker", "n1", true, ["--ignore-exclude-lb"]),
            pod("speaker-b", "speaker", "n2", false),
          ],
        });
      if (u.pathname === "/api/v1/services") {
        // Two pages.
        return u.searchParams.get("continue") === "p2"
          ? Response.json({ metadata: {}, items: [{ metadata: { name: "b", namespace: "default" } }] })
          : Response.json({
              metadata: { continue: "p2" },
              items: [{ metadata: { name: "a", namespace: "default" } }],
            });
      }
      return Response.json({ metadata: {}, items: [] });
    };
    const client = new KubeClient(connection, { fetch });
    const read = await readExplainSnapshot(client, "metallb-system");
    expect(read.snapshot.services.map((s) => s.metadata.name)).toEqual(["a", "b"]);
    expect(read.snapshot.speakers).toEqual([
      { node: "n1", state: "running" },
      { node: "n2", state: "notReady" },
    ]);
    expect(read.flags).toEqual({ lbClass: "example.com/lb", ignoreExcludeLB: true, nonRevertive: false });
    expect(read.problems).toEqual([
      { code: "forbidden", resource: "servicebgpstatuses.metallb.io", message: "no" },
    ]);
    expect(read.snapshot.serviceBGPStatuses).toEqual([]);
    expect(asked).toContain("/api/v1/services?p2");
  });

  test("no Pods: presence unknown; flags in both spellings", () => {
    expect(speakerPresenceOf([])).toBeUndefined();
    expect(flagValue(["--lb-class", "x"], "lb-class")).toBe("x");
    expect(flagValue(["--lb-class=y"], "lb-class")).toBe("y");
    expect(flagValue(["--lb-classes=z"], "lb-class")).toBeUndefined();
  });
});
