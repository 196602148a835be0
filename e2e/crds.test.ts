/**
 * The metallb.io CRDs against the real apiserver: they install, the seed's YAML and MetalLB's
 * documented configurations apply, invalid objects are refused with a message a user can act on,
 * immutable fields stay immutable, and the status-only kinds take status through the subresource.
 *
 * Cost: every kubectl call is ~100 ms, so objects are sent in batches (multi-document YAML) and
 * invalid ones with --dry-run=server (full validation, nothing stored).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { METALLB_RESOURCES } from "../operator/src/domain/api/index.ts";
import { ensureCluster, kubectl } from "./cluster/harness.ts";

const ROOT = join(import.meta.dir, "..");
const CRDS = join(ROOT, "crds");
const FIXTURES = join(import.meta.dir, "fixtures", "crds");
const NS = "metallb-system";
// Per run, so that concurrent or repeated runs never meet each other's objects.
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const result = await kubectl(args, stdin === undefined ? undefined : { stdin });
  if (result.exitCode !== 0) {
    throw new Error(`kubectl ${args.join(" ")} failed (${result.exitCode}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Multi-document YAML from objects (JSON is YAML). */
function documents(objects: readonly KubeObject[]): string {
  return objects.map((o) => JSON.stringify(o)).join("\n---\n");
}

// The seed lab's two objects, character for character (docs/lab.md, steps 2 and 3). Kept
// here rather than as .yaml fixtures because the formatter would re-indent their lists.
const SEED_POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: my-ippool
  namespace: metallb-system
spec:
  addresses:
  - 172.18.255.200-172.18.255.250
`;
const SEED_L2 = `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: my-l2-advertise
  namespace: metallb-system
spec:
  ipAddressPools:
  - my-ippool
`;

/** Objects this run stored, deleted in afterAll (kind/name as kubectl takes them). */
const created = new Set<string>();

// ---------------------------------------------------------------------------------------------
describe("CRD files agree with the TypeScript API table", () => {
  const files = readdirSync(CRDS).filter((f) => f.endsWith(".yaml"));
  const crds = files.map((file) => {
    const docs = parseAllDocuments(readFileSync(join(CRDS, file), "utf8"));
    expect(docs).toHaveLength(1);
    // biome-ignore lint/suspicious/noExplicitAny: walking a parsed CRD
    return { file, crd: docs[0]!.toJS() as any };
  });

  test("one file per kind, nine in all", () => {
    expect(files.sort()).toEqual(METALLB_RESOURCES.map((r) => r.file).sort());
  });

  test.each(METALLB_RESOURCES.map((r) => [r.kind, r] as const))("%s: names, scope, versions", (_kind, r) => {
    const { crd } = crds.find((c) => c.file === r.file)!;
    expect(crd.apiVersion).toBe("apiextensions.k8s.io/v1");
    expect(crd.metadata.name).toBe(`${r.plural}.${r.group}`);
    expect(crd.spec.group).toBe(r.group);
    expect(crd.spec.scope).toBe("Namespaced");
    expect(crd.spec.names).toMatchObject({
      kind: r.kind,
      listKind: r.listKind,
      plural: r.plural,
      singular: r.singular,
    });
    // biome-ignore lint/suspicious/noExplicitAny: CRD version entries
    const versions = crd.spec.versions as any[];
    expect(versions.map((v) => v.name).sort()).toEqual([...r.servedVersions].sort());
    expect(versions.filter((v) => v.storage).map((v) => v.name)).toEqual([r.version]);
    for (const v of versions) {
      expect(v.served).toBe(true);
      expect(v.subresources).toEqual({ status: {} });
      expect(v.schema.openAPIV3Schema.properties.status.type).toBe("object");
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("metallb.io CRDs on the real apiserver", () => {
  let seedExisted: { pool: boolean; l2: boolean } = { pool: false, l2: false };

  beforeAll(async () => {
    await ensureCluster();
    const ns = await kubectl(["create", "namespace", NS]);
    if (ns.exitCode !== 0 && !/AlreadyExists/.test(ns.stderr))
      throw new Error(`create namespace: ${ns.stderr}`);
    // --force-conflicts: the deploy bundle (another field manager) may hold an older copy of these CRDs.
    await kubectlOk(["apply", "--server-side", "--force-conflicts", "-f", CRDS]);
    await kubectlOk(["wait", "--for=condition=Established", "--timeout=60s", "-f", CRDS]);
    await waitForCurrentSchema();
  }, 180_000);

  afterAll(async () => {
    const targets = [...created];
    if (!seedExisted.pool) targets.push("ipaddresspool/my-ippool");
    if (!seedExisted.l2) targets.push("l2advertisement/my-l2-advertise");
    if (targets.length > 0)
      await kubectl(["delete", "-n", NS, "--ignore-not-found", "--wait=false", ...targets]);
  });

  describe("the seed's YAML", () => {
    test("applies verbatim and is listed with MetalLB's printer columns", async () => {
      const existing = await kubectl([
        "get",
        "-n",
        NS,
        "ipaddresspool/my-ippool",
        "l2advertisement/my-l2-advertise",
        "--ignore-not-found",
        "-o",
        "name",
      ]);
      seedExisted = {
        pool: existing.stdout.includes("ipaddresspool.metallb.io/my-ippool"),
        l2: existing.stdout.includes("l2advertisement.metallb.io/my-l2-advertise"),
      };
      const applied = await kubectlOk(["apply", "--server-side", "-f", "-"], `${SEED_POOL}---\n${SEED_L2}`);
      expect(applied).toContain("ipaddresspool.metallb.io/my-ippool serverside-applied");
      expect(applied).toContain("l2advertisement.metallb.io/my-l2-advertise serverside-applied");

      const pools = tableOf(await kubectlOk(["get", "ipaddresspools", "-n", NS]));
      expect(pools.header).toEqual(["NAME", "AUTO ASSIGN", "AVOID BUGGY IPS", "ADDRESSES"]);
      expect(pools.row("my-ippool")).toEqual([
        "my-ippool",
        "true",
        "false",
        '["172.18.255.200-172.18.255.250"]',
      ]);

      const ads = tableOf(await kubectlOk(["get", "l2advertisements", "-n", NS]));
      expect(ads.header).toEqual(["NAME", "IPADDRESSPOOLS", "IPADDRESSPOOL SELECTORS", "INTERFACES"]);
      expect(ads.row("my-l2-advertise")).toEqual(["my-l2-advertise", '["my-ippool"]']);
    });
  });

  describe("MetalLB's documented configurations", () => {
    // biome-ignore lint/suspicious/noExplicitAny: objects as the apiserver returned them
    let stored: Map<string, any>;

    beforeAll(async () => {
      const text = readFileSync(join(FIXTURES, "documented-examples.yaml"), "utf8").replaceAll("SUFFIX", RUN);
      const objects = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
      for (const o of objects) created.add(`${o.kind.toLowerCase()}.metallb.io/${o.metadata.name}`);
      const out = await kubectlOk(["apply", "--server-side", "-o", "json", "-f", "-"], text);
      // biome-ignore lint/suspicious/noExplicitAny: kubectl's List output
      const items = (JSON.parse(out) as { items: any[] }).items;
      stored = new Map(items.map((i) => [`${i.kind}/${i.metadata.name}`, i]));
      expect(items).toHaveLength(objects.length);
    });

    const get = (kind: string, name: string) => {
      const o = stored.get(`${kind}/doc-${RUN}-${name}`);
      if (o === undefined) throw new Error(`${kind} doc-${RUN}-${name} was not applied`);
      return o;
    };

    test("pools: CIDR + range + IPv6, autoAssign false, avoidBuggyIPs, serviceAllocation; defaults filled", () => {
      expect(get("IPAddressPool", "mixed").spec).toEqual({
        addresses: ["192.168.10.0/24", "192.168.9.1-192.168.9.5", "fc00:f853:0ccd:e799::/124"],
        autoAssign: true,
        avoidBuggyIPs: false,
      });
      expect(get("IPAddressPool", "expensive").spec).toMatchObject({
        autoAssign: false,
        avoidBuggyIPs: true,
      });
      expect(get("IPAddressPool", "reserved").spec.serviceAllocation).toMatchObject({
        priority: 50,
        namespaces: ["namespace-a", "namespace-b"],
      });
    });

    test("L2Advertisement with node selectors, interfaces and weighted preferences", () => {
      const spec = get("L2Advertisement", "l2").spec;
      expect(spec.interfaces).toEqual(["eth0", "eth1"]);
      expect(spec.nodeSelectors).toHaveLength(2);
      expect(spec.preferredNodeSelectors.map((p: { weight: number }) => p.weight)).toEqual([100, 10]);
    });

    test("BGPPeer v1beta2 with password, timers, BFD profile, node selectors; peerPort defaults to 179", () => {
      expect(get("BGPPeer", "peer").spec).toMatchObject({
        password: "s3cr3t",
        holdTime: "90s",
        keepaliveTime: "30s",
        bfdProfile: `doc-${RUN}-bfd`,
        peerPort: 179,
      });
      expect(get("BGPPeer", "unnumbered").spec).toMatchObject({
        dynamicASN: "external",
        interface: "eth1",
        enableGracefulRestart: true,
      });
    });

    test("a v1beta1 BGPPeer is served and reads back at v1beta2 (storage version)", async () => {
      const name = `doc-${RUN}-legacy`;
      const v2 = JSON.parse(
        await kubectlOk(["get", "bgppeers.v1beta2.metallb.io", name, "-n", NS, "-o", "json"]),
      );
      expect(v2.apiVersion).toBe("metallb.io/v1beta2");
      expect(v2.spec).toMatchObject({ myASN: 64512, peerASN: 64512, peerAddress: "fc00:f853:ccd:e793::1" });
      const table = tableOf(await kubectlOk(["get", "bgppeers.v1beta2.metallb.io", name, "-n", NS]));
      expect(table.header).toEqual(["NAME", "ADDRESS", "ASN", "BFD PROFILE", "MULTI HOPS"]);
      expect(table.row(name)).toEqual([name, "fc00:f853:ccd:e793::1", "64512"]);
    });

    test("BGPAdvertisements with communities, localPref, aggregation; aggregation defaults 32/128", () => {
      expect(get("BGPAdvertisement", "attrs").spec).toMatchObject({
        communities: ["65535:65282", "large:64512:1:2", `doc-${RUN}-no-advertise`],
        localPref: 50,
        aggregationLength: 32,
        aggregationLengthV6: 128,
      });
      expect(get("BGPAdvertisement", "aggregated").spec).toMatchObject({
        aggregationLength: 24,
        aggregationLengthV6: 64,
      });
      expect(get("BGPAdvertisement", "per-service").spec.serviceSelectors).toHaveLength(1);
    });

    test("Community aliases and a BFDProfile with every field", () => {
      expect(get("Community", "communities").spec.communities).toHaveLength(2);
      expect(get("BFDProfile", "bfd").spec).toEqual({
        receiveInterval: 380,
        transmitInterval: 270,
        detectMultiplier: 37,
        echoInterval: 62,
        echoMode: true,
        passiveMode: true,
        minimumTtl: 10,
      });
    });
  });

  describe("invalid objects are refused with an actionable message", () => {
    const table = invalidObjects();
    let errors: Map<string, string>;

    beforeAll(async () => {
      // One dry-run request per object, all in one kubectl call; each failure is one stderr line.
      const objects = table.map((c, i) => ({
        ...c.object,
        metadata: { name: `bad-${RUN}-${i}`, namespace: NS },
      }));
      const result = await kubectl(["create", "--dry-run=server", "-f", "-"], { stdin: documents(objects) });
      errors = new Map();
      for (const line of result.stderr.split("\n")) {
        const m = line.match(/\.metallb\.io "(bad-[^"]+)" is invalid: (.*)$/);
        if (m) errors.set(m[1]!, m[2]!);
      }
    });

    test("the table has at least 25 cases", () => {
      expect(table.length).toBeGreaterThanOrEqual(25);
    });

    test.each(table.map((c, i) => [c.why, i, c.expect] as const))("%s", (_why, i, expected) => {
      const error = errors.get(`bad-${RUN}-${i}`);
      expect(error, "the apiserver accepted the object").toBeDefined();
      expect(error).toContain(expected);
    });
  });

  describe("range order (start <= end) matches bigint arithmetic", () => {
    // The CEL rule orders addresses by a binary search over prefix lengths (see
    // crds/ipaddresspools.yaml); this compares its verdicts with plain bigint comparison on
    // random ranges, many of them one bit or one address apart, in both families.
    test("600 random ranges in one pool: exactly the reversed ones are refused", async () => {
      const seed = Date.now() >>> 0;
      const cases = randomRanges(seed, 600);
      const pool = {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name: `order-${RUN}`, namespace: NS },
        spec: { addresses: cases.map((c) => c.text) },
      };
      const result = await kubectl(["create", "--dry-run=server", "-f", "-"], { stdin: documents([pool]) });
      const refused = new Set(
        [
          ...result.stderr.matchAll(
            /spec\.addresses\[(\d+)\]: Invalid value: "[^"]*": "[^"]*" is not a valid range: start must not be after end/g,
          ),
        ].map((m) => Number(m[1])),
      );
      const expected = new Set(cases.flatMap((c, i) => (c.reversed ? [i] : [])));
      const wrong = cases.filter((_, i) => refused.has(i) !== expected.has(i)).map((c) => c.text);
      expect(wrong, `seed ${seed}: CEL and bigint disagree on these ranges`).toEqual([]);
      expect(expected.size).toBeGreaterThan(100);
      expect(expected.size).toBeLessThan(cases.length - 100);
      // Nothing else was wrong with any address (syntax, family): only the order errors appear.
      expect([...result.stderr.matchAll(/spec\.addresses\[\d+\]/g)]).toHaveLength(refused.size);
    });
  });

  describe("immutable fields", () => {
    test("BGPPeer enableGracefulRestart cannot be flipped, removed or added; other fields still change", async () => {
      const withGR = `gr-${RUN}-on`;
      const withoutGR = `gr-${RUN}-off`;
      const peer = (name: string, spec: Record<string, unknown>): KubeObject => ({
        apiVersion: "metallb.io/v1beta2",
        kind: "BGPPeer",
        metadata: { name, namespace: NS },
        spec: { myASN: 64500, peerASN: 64501, peerAddress: "10.0.0.1", ...spec },
      });
      created.add(`bgppeer.metallb.io/${withGR}`).add(`bgppeer.metallb.io/${withoutGR}`);
      await kubectlOk(
        ["create", "-f", "-"],
        documents([peer(withGR, { enableGracefulRestart: true }), peer(withoutGR, {})]),
      );

      const flip = await patch(`bgppeer/${withGR}`, { spec: { enableGracefulRestart: false } });
      expect(flip.stderr).toContain("enableGracefulRestart cannot be changed on an existing BGPPeer");
      const remove = await kubectl([
        "patch",
        "-n",
        NS,
        `bgppeer/${withGR}`,
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/spec/enableGracefulRestart"}]',
      ]);
      expect(remove.stderr).toContain("enableGracefulRestart cannot be changed");
      const add = await patch(`bgppeer/${withoutGR}`, { spec: { enableGracefulRestart: true } });
      expect(add.stderr).toContain("enableGracefulRestart cannot be changed");
      const other = await patch(`bgppeer/${withGR}`, { spec: { holdTime: "30s" } });
      expect(other.stderr).toBe("");
      expect(other.exitCode).toBe(0);
    });

    for (const kind of ["ServiceL2Status", "ServiceBGPStatus"] as const) {
      test(`${kind} status.node/serviceName/serviceNamespace are fixed once written`, async () => {
        const name = `${kind === "ServiceL2Status" ? "l2" : "bgp"}-${RUN}-immutable`;
        const ref = `${kind.toLowerCase()}/${name}`;
        await createStatusObject(kind, name);
        const first = await patch(
          ref,
          { status: { node: "myk8s-worker", serviceName: "svc1", serviceNamespace: "default" } },
          true,
        );
        expect(first.stderr).toBe("");

        const node = await patch(ref, { status: { node: "myk8s-worker2" } }, true);
        expect(node.stderr).toContain("status.node cannot be changed or removed once set");
        const svc = await patch(ref, { status: { serviceName: "svc2" } }, true);
        expect(svc.stderr).toContain("status.serviceName cannot be changed or removed once set");
        const ns = await patch(ref, { status: { serviceNamespace: "other" } }, true);
        expect(ns.stderr).toContain("status.serviceNamespace cannot be changed or removed once set");
        const removed = await patch(ref, { status: { node: null } }, true);
        expect(removed.stderr).toContain("status.node cannot be changed or removed once set");
      });
    }
  });

  describe("status subresources", () => {
    test("ServiceL2Status: created by a speaker, status written through /status, listed with its columns", async () => {
      const name = `l2-${RUN}-status`;
      await createStatusObject("ServiceL2Status", name);
      const ref = `servicel2status/${name}`;
      const written = await patch(
        ref,
        {
          status: {
            node: "myk8s-worker",
            serviceName: "svc1",
            serviceNamespace: "default",
            interfaces: [{ name: "eth0" }],
          },
        },
        true,
      );
      expect(written.stderr).toBe("");
      // interfaces may change freely (a node can gain or lose an interface while announcing).
      const again = await patch(ref, { status: { interfaces: [{ name: "eth0" }, { name: "eth1" }] } }, true);
      expect(again.stderr).toBe("");
      const t = tableOf(await kubectlOk(["get", ref, "-n", NS]));
      expect(t.header).toEqual(["NAME", "ALLOCATED NODE", "SERVICE NAME", "SERVICE NAMESPACE"]);
      expect(t.row(name)).toEqual([name, "myk8s-worker", "svc1", "default"]);
      // A write to the main resource does not touch status (that is what the subresource is for).
      await patch(ref, { status: { node: "elsewhere" } });
      const obj = JSON.parse(await kubectlOk(["get", ref, "-n", NS, "-o", "json"]));
      expect(obj.status.node).toBe("myk8s-worker");
      expect(obj.status.interfaces).toEqual([{ name: "eth0" }, { name: "eth1" }]);
    });

    test("ServiceBGPStatus: peers written through /status", async () => {
      const name = `bgp-${RUN}-status`;
      await createStatusObject("ServiceBGPStatus", name);
      const ref = `servicebgpstatus/${name}`;
      const status = {
        node: "myk8s-worker",
        serviceName: "svc1",
        serviceNamespace: "default",
        peers: ["a", "b"],
      };
      expect((await patch(ref, { status }, true)).stderr).toBe("");
      const t = tableOf(await kubectlOk(["get", ref, "-n", NS]));
      expect(t.header).toEqual(["NAME", "NODE", "SERVICE NAME", "SERVICE NAMESPACE"]);
      expect(t.row(name)).toEqual([name, "myk8s-worker", "svc1", "default"]);
      const dup = await patch(ref, { status: { peers: ["a", "a"] } }, true);
      expect(dup.stderr).toContain("Duplicate value");
    });

    test("ConfigurationState: result and conditions written through /status; a bad result is refused", async () => {
      const name = `speaker-${RUN}`;
      await createStatusObject("ConfigurationState", name, {
        "metallb.io/component-type": "speaker",
        "metallb.io/node-name": "myk8s-worker",
      });
      const ref = `configurationstate/${name}`;
      const condition = {
        type: "configReconcilerValid",
        status: "False",
        reason: "ConfigurationError",
        message: "pool p: CIDR overlaps",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      };
      const ok = await patch(
        ref,
        { status: { result: "Invalid", errorSummary: "pool p: CIDR overlaps", conditions: [condition] } },
        true,
      );
      expect(ok.stderr).toBe("");
      const t = tableOf(await kubectlOk(["get", ref, "-n", NS]));
      expect(t.header.slice(0, 2)).toEqual(["NAME", "RESULT"]);
      expect(t.row(name).slice(0, 2)).toEqual([name, "Invalid"]);
      const bad = await patch(ref, { status: { result: "Broken" } }, true);
      expect(bad.stderr).toContain('Unsupported value: "Broken"');
    });

    test("IPAddressPool: the controller's counters go through /status", async () => {
      const name = `pool-${RUN}-status`;
      created.add(`ipaddresspool.metallb.io/${name}`);
      await kubectlOk(
        ["create", "-f", "-"],
        documents([
          {
            apiVersion: "metallb.io/v1beta1",
            kind: "IPAddressPool",
            metadata: { name, namespace: NS },
            spec: { addresses: ["198.51.100.0/30"], autoAssign: false },
          },
        ]),
      );
      const ref = `ipaddresspool/${name}`;
      const counters = { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 3, availableIPv6: 0 };
      expect((await patch(ref, { status: counters }, true)).stderr).toBe("");
      const obj = JSON.parse(await kubectlOk(["get", ref, "-n", NS, "-o", "json"]));
      expect(obj.status).toEqual(counters);
    });
  });
});

// ---------------------------------------------------------------------------------------------

/** kubectl's table output as a header and rows split on runs of 2+ spaces. */
function tableOf(out: string): { header: string[]; row: (name: string) => string[] } {
  const lines = out.trimEnd().split("\n");
  const split = (l: string) => l.trim().split(/\s{2,}/);
  const rows = lines.slice(1).map(split);
  return {
    header: split(lines[0] ?? ""),
    row: (name) => {
      const r = rows.find((cells) => cells[0] === name);
      if (r === undefined) throw new Error(`no row ${name} in:\n${out}`);
      return r;
    },
  };
}

async function patch(ref: string, body: unknown, status = false) {
  const args = ["patch", "-n", NS, ref, "--type=merge", "-p", JSON.stringify(body)];
  if (status) args.push("--subresource=status");
  return kubectl(args);
}

async function createStatusObject(
  kind: string,
  name: string,
  labels?: Record<string, string>,
): Promise<void> {
  created.add(`${kind.toLowerCase()}.metallb.io/${name}`);
  await kubectlOk(
    ["create", "-f", "-"],
    documents([
      {
        apiVersion: "metallb.io/v1beta1",
        kind,
        metadata: {
          name,
          namespace: NS,
          labels: labels ?? {
            "metallb.io/node": "myk8s-worker",
            "metallb.io/service-name": "svc1",
            "metallb.io/service-namespace": "default",
          },
        },
        spec: {},
      },
    ]),
  );
}

/**
 * The CRD handler swaps in a changed schema asynchronously after the CRD update; until a rule
 * added in this tree answers, requests may still meet the previous schema.
 */
async function waitForCurrentSchema(): Promise<void> {
  const probe = documents([
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: `probe-${RUN}`, namespace: NS },
      spec: { addresses: ["10.0.0.1"] },
    },
  ]);
  const deadline = Date.now() + 20_000;
  let last = "";
  while (Date.now() < deadline) {
    last = (await kubectl(["create", "--dry-run=server", "-f", "-"], { stdin: probe })).stderr;
    if (last.includes("is a single address, not a CIDR")) return;
    await Bun.sleep(200);
  }
  throw new Error(`the apiserver never served the CRDs of this tree; last answer: ${last}`);
}

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ipv4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString()).join(".");
}

/** IPv6 text, either with every group written out or with the longest zero run as "::". */
function ipv6Text(n: bigint, compress: boolean): string {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((n >> s) & 0xffffn));
  if (!compress) return groups.map((g) => g.toString(16)).join(":");
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
  }
  if (best.at < 0) return groups.map((g) => g.toString(16)).join(":");
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  return `${hex(groups.slice(0, best.at))}::${hex(groups.slice(best.at + best.len))}`;
}

/** ::ffff:0:0/96 (IPv4-mapped) is refused as syntax by Kubernetes' isIP, so it is kept out. */
function isV4Mapped(n: bigint): boolean {
  return n >> 32n === 0xffffn;
}

function randomRanges(seed: number, count: number): { text: string; reversed: boolean }[] {
  const rand = prng(seed);
  const bits = (width: number) => {
    let n = 0n;
    for (let i = 0; i < width; i += 16) n = (n << 16n) | BigInt(Math.floor(rand() * 65536));
    return n & ((1n << BigInt(width)) - 1n);
  };
  // Sparse IPv6 values, so that "::" shows up in many shapes.
  const sparse6 = () => {
    let n = 0n;
    for (let g = 0; g < 8; g++) {
      const r = rand();
      const v = r < 0.5 ? 0 : r < 0.6 ? 1 : r < 0.7 ? 0xffff : Math.floor(rand() * 65536);
      n = (n << 16n) | BigInt(v);
    }
    return n;
  };
  const seen = new Set<string>();
  const out: { text: string; reversed: boolean }[] = [];
  while (out.length < count) {
    const v6 = rand() < 0.5;
    const width = v6 ? 128 : 32;
    const a = v6 ? sparse6() : bits(32);
    const kind = rand();
    let b: bigint;
    if (kind < 0.35) b = v6 ? sparse6() : bits(32);
    else if (kind < 0.7) b = a ^ (1n << BigInt(Math.floor(rand() * width)));
    else if (kind < 0.8) b = a;
    else b = a + BigInt(Math.floor(rand() * 7) - 3);
    if (b < 0n || b >= 1n << BigInt(width)) continue;
    if (v6 && (isV4Mapped(a) || isV4Mapped(b))) continue;
    const fmt = (n: bigint) => (v6 ? ipv6Text(n, rand() < 0.7) : ipv4Text(n));
    const dash = ["-", " - ", "- ", " -"][Math.floor(rand() * 4)]!;
    const text = `${fmt(a)}${dash}${fmt(b)}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, reversed: a > b });
  }
  return out;
}

interface InvalidCase {
  why: string;
  object: Omit<KubeObject, "metadata">;
  /** A substring of the apiserver's message, which must tell the user what to fix. */
  expect: string;
}

function invalidObjects(): InvalidCase[] {
  const v1 = "metallb.io/v1beta1";
  const pool = (spec: Record<string, unknown>) => ({ apiVersion: v1, kind: "IPAddressPool", spec });
  const l2 = (spec: Record<string, unknown>) => ({ apiVersion: v1, kind: "L2Advertisement", spec });
  const bgpAd = (spec: Record<string, unknown>) => ({ apiVersion: v1, kind: "BGPAdvertisement", spec });
  const peer = (spec: Record<string, unknown>) => ({
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    spec: { myASN: 64500, peerASN: 64501, peerAddress: "10.0.0.1", ...spec },
  });
  const bfd = (spec: Record<string, unknown>) => ({ apiVersion: v1, kind: "BFDProfile", spec });
  const community = (communities: unknown[]) => ({
    apiVersion: v1,
    kind: "Community",
    spec: { communities },
  });
  const selector = { matchLabels: { a: "b" } };
  return [
    // IPAddressPool
    {
      why: "pool: IPv4 range with start after end",
      object: pool({ addresses: ["10.0.0.0/28", "10.0.0.9-10.0.0.1"] }),
      expect:
        'spec.addresses[1]: Invalid value: "10.0.0.9-10.0.0.1": "10.0.0.9-10.0.0.1" is not a valid range: start must not be after end',
    },
    {
      why: "pool: IPv6 range with start after end (one bit apart, deep in the address)",
      object: pool({ addresses: ["fc00::1:0-fc00::0:ffff"] }),
      expect: "is not a valid range: start must not be after end",
    },
    {
      why: "pool: range mixing IPv4 and IPv6",
      object: pool({ addresses: ["10.0.0.1-fc00::1"] }),
      expect: "start and end must be of the same IP family",
    },
    {
      why: "pool: a single address without prefix length",
      object: pool({ addresses: ["10.0.0.1"] }),
      expect: '"10.0.0.1" is a single address, not a CIDR: write 10.0.0.1/32',
    },
    {
      why: "pool: IPv4 prefix length 33",
      object: pool({ addresses: ["10.0.0.0/33"] }),
      expect: '"10.0.0.0/33" is neither a CIDR',
    },
    {
      why: "pool: a range with three ends",
      object: pool({ addresses: ["10.0.0.1-10.0.0.2-10.0.0.3"] }),
      expect: "nor a range of two addresses",
    },
    { why: "pool: no addresses", object: pool({ addresses: [] }), expect: "should have at least 1 items" },
    { why: "pool: addresses missing", object: pool({}), expect: "spec.addresses: Required value" },
    {
      why: "pool: the same CIDR twice",
      object: pool({ addresses: ["10.0.0.0/24", "10.0.0.0/24"] }),
      expect: 'spec.addresses[1]: Duplicate value: "10.0.0.0/24"',
    },
    {
      why: "pool: a namespace listed twice",
      object: pool({ addresses: ["10.0.0.0/24"], serviceAllocation: { namespaces: ["a", "a"] } }),
      expect: 'spec.serviceAllocation.namespaces[1]: Duplicate value: "a"',
    },
    {
      why: "pool: the same namespace selector twice",
      object: pool({
        addresses: ["10.0.0.0/24"],
        serviceAllocation: { namespaceSelectors: [selector, selector] },
      }),
      expect:
        "spec.serviceAllocation.namespaceSelectors: Invalid value: must not contain the same selector twice",
    },
    {
      why: "pool: selector operator In without values",
      object: pool({
        addresses: ["10.0.0.0/24"],
        serviceAllocation: { serviceSelectors: [{ matchExpressions: [{ key: "app", operator: "In" }] }] },
      }),
      expect: 'matchExpressions with key "app": operator In needs at least one value',
    },
    {
      why: "pool: selector operator Exists with values",
      object: pool({
        addresses: ["10.0.0.0/24"],
        serviceAllocation: {
          serviceSelectors: [{ matchExpressions: [{ key: "app", operator: "Exists", values: ["x"] }] }],
        },
      }),
      expect: 'matchExpressions with key "app": operator Exists takes no values; remove them',
    },
    // L2Advertisement
    {
      why: "L2: a pool named twice",
      object: l2({ ipAddressPools: ["p", "p"] }),
      expect: 'spec.ipAddressPools[1]: Duplicate value: "p"',
    },
    {
      why: "L2: the same node selector twice",
      object: l2({ nodeSelectors: [selector, selector] }),
      expect: "spec.nodeSelectors: Invalid value: must not contain the same selector twice",
    },
    {
      why: "L2: preferredNodeSelectors weight above 100",
      object: l2({ preferredNodeSelectors: [{ weight: 101, preference: selector }] }),
      expect:
        "spec.preferredNodeSelectors[0].weight: Invalid value: 101: spec.preferredNodeSelectors[0].weight in body should be less than or equal to 100",
    },
    // BGPAdvertisement
    {
      why: "BGP ad: aggregationLength 0",
      object: bgpAd({ aggregationLength: 0 }),
      expect: "spec.aggregationLength in body should be greater than or equal to 1",
    },
    {
      why: "BGP ad: aggregationLength 33",
      object: bgpAd({ aggregationLength: 33 }),
      expect: "spec.aggregationLength in body should be less than or equal to 32",
    },
    {
      why: "BGP ad: aggregationLengthV6 129",
      object: bgpAd({ aggregationLengthV6: 129 }),
      expect: "spec.aggregationLengthV6 in body should be less than or equal to 128",
    },
    {
      why: "BGP ad: community with a part above 65535",
      object: bgpAd({ communities: ["65000:100000"] }),
      expect: '"65000:100000" is not a valid community: use A:B with A and B in 0-65535',
    },
    {
      why: "BGP ad: three-part community without large:",
      object: bgpAd({ communities: ["1:2:3"] }),
      expect: "or large:A:B:C for a large community",
    },
    {
      why: "BGP ad: large community with two parts",
      object: bgpAd({ communities: ["large:1:2"] }),
      expect: '"large:1:2" is not a valid large community: use large:A:B:C',
    },
    {
      why: "BGP ad: large community part above 4294967295",
      object: bgpAd({ communities: ["large:4294967296:1:1"] }),
      expect: "is not a valid large community",
    },
    {
      why: "BGP ad: serviceSelectors with a non-default aggregation",
      object: bgpAd({ aggregationLength: 24, serviceSelectors: [selector] }),
      expect: "serviceSelectors can only be used with the default aggregation lengths",
    },
    {
      why: "BGP ad: localPref above 32 bits",
      object: bgpAd({ localPref: 4294967296 }),
      expect: "spec.localPref in body should be less than or equal to 4294967295",
    },
    // BGPPeer
    {
      why: "peer: neither peerASN nor dynamicASN",
      object: peer({ peerASN: undefined }),
      expect: "one of peerASN or dynamicASN must be set",
    },
    {
      why: "peer: both peerASN and dynamicASN",
      object: peer({ dynamicASN: "external" }),
      expect: "peerASN and dynamicASN are mutually exclusive; set only one",
    },
    {
      why: "peer: dynamicASN not internal/external",
      object: peer({ peerASN: undefined, dynamicASN: "any" }),
      expect: 'Unsupported value: "any": supported values: "internal", "external"',
    },
    {
      why: "peer: neither peerAddress nor interface",
      object: peer({ peerAddress: undefined }),
      expect: "one of peerAddress or interface must be set",
    },
    {
      why: "peer: both peerAddress and interface",
      object: peer({ interface: "eth0" }),
      expect: "peerAddress and interface are mutually exclusive; set only one",
    },
    {
      why: "peer: peerAddress not an IP",
      object: peer({ peerAddress: "10.0.0.256" }),
      expect: '"10.0.0.256" is not an IP address',
    },
    {
      why: "peer: sourceAddress not an IP",
      object: peer({ sourceAddress: "my-host" }),
      expect: '"my-host" is not an IP address',
    },
    {
      why: "peer: IPv6 routerID",
      object: peer({ routerID: "fc00::1" }),
      expect: "is not a valid routerID: the BGP Identifier is written as an IPv4 address",
    },
    {
      why: "peer: myASN 0",
      object: peer({ myASN: 0 }),
      expect: "spec.myASN in body should be greater than or equal to 1",
    },
    {
      why: "peer: peerASN above 32 bits",
      object: peer({ peerASN: 4294967296 }),
      expect: "spec.peerASN in body should be less than or equal to 4294967295",
    },
    {
      why: "peer: peerPort above 16384",
      object: peer({ peerPort: 16385 }),
      expect: "spec.peerPort in body should be less than or equal to 16384",
    },
    {
      why: "peer: password and passwordSecret together",
      object: peer({ password: "x", passwordSecret: { name: "s", namespace: "metallb-system" } }),
      expect: "password and passwordSecret are mutually exclusive; set only one",
    },
    {
      why: "peer: ebgpMultiHop on an iBGP session",
      object: peer({ peerASN: 64500, ebgpMultiHop: true }),
      expect: "ebgpMultiHop is for eBGP sessions only, but peerASN equals myASN",
    },
    {
      why: "peer: holdTime between 0 and 3s",
      object: peer({ holdTime: "2s" }),
      expect: "holdTime must be 0 (no keepalives) or at least 3s (RFC 4271), got 2s",
    },
    {
      why: "peer: keepaliveTime longer than holdTime",
      object: peer({ holdTime: "30s", keepaliveTime: "40s" }),
      expect: "keepaliveTime (40s) must not be longer than holdTime (30s)",
    },
    {
      why: "peer: keepaliveTime alone that makes holdTime below 3s",
      object: peer({ keepaliveTime: "500ms" }),
      expect: "keepaliveTime without holdTime makes holdTime 3 x keepaliveTime",
    },
    {
      why: "peer: holdTime that is not a duration",
      object: peer({ holdTime: "90" }),
      expect: '"90" is not a duration: write it like 90s, 1m30s or 500ms',
    },
    {
      why: "peer: connectTime with a fraction of a second",
      object: peer({ connectTime: "1500ms" }),
      expect: "connectTime must be a whole number of seconds from 1s to 65535s, got 1500ms",
    },
    {
      why: "peer: connectTime above 65535s",
      object: peer({ connectTime: "19h" }),
      expect: "connectTime must be a whole number of seconds from 1s to 65535s, got 19h",
    },
    {
      why: "peer v1beta1: peerAddress is required",
      object: { apiVersion: v1, kind: "BGPPeer", spec: { myASN: 64500, peerASN: 64501 } },
      expect: "spec.peerAddress: Required value",
    },
    // BFDProfile
    {
      why: "BFD: receiveInterval below 10 ms",
      object: bfd({ receiveInterval: 9 }),
      expect: "spec.receiveInterval in body should be greater than or equal to 10",
    },
    {
      why: "BFD: transmitInterval above 60000 ms",
      object: bfd({ transmitInterval: 60001 }),
      expect: "spec.transmitInterval in body should be less than or equal to 60000",
    },
    {
      why: "BFD: detectMultiplier 1",
      object: bfd({ detectMultiplier: 1 }),
      expect: "spec.detectMultiplier in body should be greater than or equal to 2",
    },
    {
      why: "BFD: echoInterval above 60000 ms",
      object: bfd({ echoInterval: 60001 }),
      expect: "spec.echoInterval in body should be less than or equal to 60000",
    },
    {
      why: "BFD: minimumTtl 255",
      object: bfd({ minimumTtl: 255 }),
      expect: "spec.minimumTtl in body should be less than or equal to 254",
    },
    // Community
    {
      why: "Community: value part above 65535",
      object: community([{ name: "x", value: "65536:1" }]),
      expect: '"65536:1" is not a valid community value: use A:B with A and B in 0-65535, or large:A:B:C',
    },
    {
      why: "Community: value that is an alias, not a value",
      object: community([{ name: "x", value: "NO_EXPORT" }]),
      expect: '"NO_EXPORT" is not a valid community value',
    },
    {
      why: "Community: the same alias twice",
      object: community([
        { name: "x", value: "1:1" },
        { name: "x", value: "1:2" },
      ]),
      expect: "spec.communities[1]: Duplicate value",
    },
  ];
}
