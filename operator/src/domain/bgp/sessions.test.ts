import { describe, expect, test } from "bun:test";
import type { BGPPeerSpec } from "../api/bgp-peer.ts";
import { aBFDProfile, aPeer, validConfig } from "../config/testing.ts";
import type { BgpSecret } from "./password.ts";
import { bgpSessionsFor } from "./sessions.ts";

const NODE = { labels: { "kubernetes.io/hostname": "worker", rack: "r1" } };
const NO_SECRETS = new Map<string, BgpSecret>();

function sessionsOf(
  peers: Record<string, Partial<BGPPeerSpec>>,
  secrets: ReadonlyMap<string, BgpSecret> = NO_SECRETS,
  options: { metallbNamespace?: string } = {},
) {
  const config = validConfig({
    bgpPeers: Object.entries(peers).map(([name, spec]) => aPeer(name, spec)),
    bfdProfiles: [
      aBFDProfile("fast"),
      aBFDProfile("tuned", {
        receiveInterval: 100,
        transmitInterval: 150,
        detectMultiplier: 5,
        passiveMode: true,
        minimumTtl: 250,
      }),
      aBFDProfile("echo", { echoMode: true }),
    ],
  });
  return bgpSessionsFor(config, NODE, secrets, options);
}

function onlySession(spec: Partial<BGPPeerSpec>, secrets?: ReadonlyMap<string, BgpSecret>) {
  const { sessions, problems } = sessionsOf({ p: spec }, secrets);
  expect(problems).toEqual([]);
  expect(sessions).toHaveLength(1);
  return sessions[0];
}

const basicAuth = (password: string): BgpSecret => ({
  type: "kubernetes.io/basic-auth",
  data: { username: btoa("u"), password: Buffer.from(password).toString("base64") },
});

describe("bgpSessionsFor: which peers", () => {
  test("one session per peer whose nodeSelectors select this node, in peer-name order", () => {
    const { sessions } = sessionsOf({
      zeta: {},
      alpha: { nodeSelectors: [{ matchLabels: { rack: "r1" } }] },
      other: { nodeSelectors: [{ matchLabels: { rack: "r2" } }] },
      beta: { nodeSelectors: [{ matchLabels: { rack: "r2" } }, { matchLabels: { rack: "r1" } }] },
    });
    expect(sessions.map((s) => s.peer)).toEqual(["alpha", "beta", "zeta"]);
  });

  test("no peers, no sessions", () => {
    expect(sessionsOf({})).toEqual({ sessions: [], problems: [] });
  });
});

describe("bgpSessionsFor: fields and defaults", () => {
  test("defaults of MetalLB's native backend", () => {
    expect(onlySession({})).toEqual({
      peer: "p",
      myASN: 64512,
      peerASN: 64513,
      dynamicASN: undefined,
      peerAddress: "172.18.0.5",
      peerPort: 179,
      sourceAddress: undefined,
      routerID: undefined,
      holdTimeS: 90,
      keepaliveTimeS: 30,
      connectTimeS: 120,
      password: undefined,
      ebgpMultiHop: false,
      dualStackAddressFamily: false,
      bfd: undefined,
      gracefulRestart: false,
    });
  });

  test("every field given", () => {
    expect(
      onlySession({
        myASN: 65000,
        peerASN: 65001,
        peerAddress: "2001:DB8::0001",
        peerPort: 1179,
        sourceAddress: "2001:db8::2",
        routerID: "10.0.0.1",
        holdTime: "30s",
        keepaliveTime: "5s",
        connectTime: "7s",
        password: "s3cret",
        ebgpMultiHop: true,
        dualStackAddressFamily: true,
      }),
    ).toEqual({
      peer: "p",
      myASN: 65000,
      peerASN: 65001,
      dynamicASN: undefined,
      peerAddress: "2001:db8::1",
      peerPort: 1179,
      sourceAddress: "2001:db8::2",
      routerID: "10.0.0.1",
      holdTimeS: 30,
      keepaliveTimeS: 5,
      connectTimeS: 7,
      password: "s3cret",
      ebgpMultiHop: true,
      dualStackAddressFamily: true,
      bfd: undefined,
      gracefulRestart: false,
    });
  });

  test("localASN replaces myASN toward the peer", () => {
    const session = onlySession({ myASN: 64512, localASN: 4200000001, peerASN: 64513 });
    expect(session?.myASN).toBe(4200000001);
  });

  test("dynamicASN leaves the peer ASN open", () => {
    const session = onlySession({ peerASN: undefined, dynamicASN: "external" });
    expect([session?.peerASN, session?.dynamicASN]).toEqual([undefined, "external"]);
  });

  test.each([
    [{ holdTime: "9s" }, 9, 3],
    [{ holdTime: "10s" }, 10, 3],
    [{ holdTime: "1m30s" }, 90, 30],
    [{ keepaliveTime: "10s" }, 30, 10],
    [{ holdTime: "0s" }, 0, 0],
    [{ holdTime: "3s", keepaliveTime: "500ms" }, 3, 1],
  ] as const)("timers %p -> hold %d s, keepalive %d s", (spec, hold, keepalive) => {
    const session = onlySession(spec);
    expect([session?.holdTimeS, session?.keepaliveTimeS]).toEqual([hold, keepalive]);
  });

  test("a hold time the OPEN cannot carry is a problem, not a truncated timer", () => {
    const { sessions, problems } = sessionsOf({ p: { holdTime: "20h" } });
    expect(sessions).toEqual([]);
    expect(problems.map((p) => [p.code, p.field])).toEqual([["holdTimeTooLong", "spec.holdTime"]]);
  });

  test("an IPv6 routerID cannot be a BGP Identifier", () => {
    const { sessions, problems } = sessionsOf({ p: { routerID: "2001:db8::1" } });
    expect(sessions).toEqual([]);
    expect(problems.map((p) => p.code)).toEqual(["routerIDNotIPv4"]);
  });
});

describe("bgpSessionsFor: passwordSecret", () => {
  const ref = { passwordSecret: { name: "bgp-auth", namespace: "metallb-system" } };

  test("the password key of a basic-auth Secret, base64-decoded", () => {
    const session = onlySession(ref, new Map([["bgp-auth", basicAuth("pä55")]]));
    expect(session?.password).toBe("pä55");
  });

  test.each([
    ["missing Secret", new Map<string, BgpSecret>(), "passwordSecretNotFound"],
    ["wrong type", new Map([["bgp-auth", { ...basicAuth("x"), type: "Opaque" }]]), "passwordSecretWrongType"],
    [
      "no password key",
      new Map([["bgp-auth", { type: "kubernetes.io/basic-auth", data: { username: btoa("u") } }]]),
      "passwordSecretMissingKey",
    ],
    [
      "not base64",
      new Map([["bgp-auth", { type: "kubernetes.io/basic-auth", data: { password: "%%%" } }]]),
      "passwordSecretUndecodable",
    ],
    [
      "not UTF-8",
      new Map([["bgp-auth", { type: "kubernetes.io/basic-auth", data: { password: "/w==" } }]]),
      "passwordSecretUndecodable",
    ],
    ["longer than 80 bytes", new Map([["bgp-auth", basicAuth("k".repeat(81))]]), "passwordTooLong"],
  ] as const)("%s: a transient problem and no session for that peer only", (_, secrets, code) => {
    const { sessions, problems } = sessionsOf({ p: ref, q: {} }, secrets);
    expect(sessions.map((s) => s.peer)).toEqual(["q"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ peer: "p", code, severity: "error", transient: true });
    expect(problems[0]?.message.startsWith('BGPPeer "p" spec.passwordSecret: ')).toBe(true);
  });

  test("a Secret in another namespace than MetalLB's", () => {
    const { sessions, problems } = sessionsOf(
      { p: { passwordSecret: { name: "bgp-auth", namespace: "default" } } },
      new Map([["bgp-auth", basicAuth("x")]]),
      { metallbNamespace: "metallb-system" },
    );
    expect(sessions).toEqual([]);
    expect(problems.map((p) => [p.code, p.transient])).toEqual([["passwordSecretWrongNamespace", false]]);
  });

  test("a plain password over 80 bytes is not transient", () => {
    const { problems } = sessionsOf({ p: { password: "k".repeat(81) } });
    expect(problems.map((p) => [p.code, p.field, p.transient])).toEqual([
      ["passwordTooLong", "spec.password", false],
    ]);
  });
});

describe("bgpSessionsFor: BFD", () => {
  test("a bfdProfile gives the session BFD with MetalLB's defaults for what the profile leaves out", () => {
    expect(onlySession({ bfdProfile: "fast" })?.bfd).toEqual({
      profile: "fast",
      receiveIntervalMs: 300,
      transmitIntervalMs: 300,
      detectMultiplier: 3,
      passive: false,
      minimumTtl: 254,
    });
    expect(onlySession({ bfdProfile: "tuned" })?.bfd).toEqual({
      profile: "tuned",
      receiveIntervalMs: 100,
      transmitIntervalMs: 150,
      detectMultiplier: 5,
      passive: true,
      minimumTtl: 250,
    });
  });

  test("echoMode: a warning, and the session keeps asynchronous BFD", () => {
    const { sessions, problems } = sessionsOf({ p: { bfdProfile: "echo" } });
    expect(sessions[0]?.bfd?.profile).toBe("echo");
    expect(problems.map((p) => [p.code, p.severity])).toEqual([["bfdEchoModeNotSupported", "warning"]]);
  });
});

test("enableGracefulRestart offers graceful restart on the session", () => {
  expect(onlySession({ enableGracefulRestart: true })?.gracefulRestart).toBe(true);
  expect(onlySession({})?.gracefulRestart).toBe(false);
});

describe("bgpSessionsFor: what metalbun does not serve yet", () => {
  test.each([
    [
      { peerAddress: undefined, interface: "eth1" },
      "unnumberedNotSupported",
      "spec.interface",
      `BGPPeer "p" spec.interface: BGP unnumbered (interface) is not supported yet by metalbun's native BGP: set peerAddress instead`,
    ],
    [
      { vrf: "red" },
      "vrfNotSupported",
      "spec.vrf",
      `BGPPeer "p" spec.vrf: vrf is not supported yet by metalbun's native BGP: sessions run in the speaker's network namespace only`,
    ],
  ] as const)("%p: %s, no session, other peers unaffected", (spec, code, field, message) => {
    const { sessions, problems } = sessionsOf({ p: spec, q: {} });
    expect(sessions.map((s) => s.peer)).toEqual(["q"]);
    expect(problems).toEqual([
      {
        peer: "p",
        code,
        severity: "error",
        transient: false,
        field,
        message,
      },
    ]);
  });

  test("every unsupported field is reported, not only the first", () => {
    const { problems } = sessionsOf({
      p: { vrf: "red", peerAddress: undefined, interface: "eth1" },
    });
    expect(problems.map((p) => p.code)).toEqual(["unnumberedNotSupported", "vrfNotSupported"]);
  });

  test("disableMP: a warning, and the session is kept", () => {
    const { sessions, problems } = sessionsOf({ p: { disableMP: true } });
    expect(sessions.map((s) => s.peer)).toEqual(["p"]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      peer: "p",
      code: "disableMPDeprecated",
      severity: "warning",
      field: "spec.disableMP",
    });
  });

  test("a peer not selecting this node reports nothing, whatever it asks for", () => {
    const { problems } = sessionsOf({ p: { vrf: "red", nodeSelectors: [{ matchLabels: { rack: "r9" } }] } });
    expect(problems).toEqual([]);
  });
});
