import { beforeEach, describe, expect, test } from "bun:test";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { DEFAULT_NAMESPACE, resolveConnection } from "./config.ts";
import { KubeConfigError } from "./errors.ts";
import { inClusterServer } from "./in-cluster.ts";
import { fileToken } from "./token.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "metalbun-config-"));
});

const b64 = (text: string) => Buffer.from(text).toString("base64");

function kubeconfig(cluster: object, user: object, extra: object = {}) {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "ctx",
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "ignored-by-operator" } }],
    ...extra,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("kubeconfig", () => {
  test("inline client certificate, key and CA data", async () => {
    const path = join(dir, "config");
    await writeFile(
      path,
      kubeconfig(
        { server: "https://127.0.0.1:16443/", "certificate-authority-data": b64("CA PEM") },
        { "client-certificate-data": b64("CERT PEM"), "client-key-data": b64("KEY PEM") },
      ),
    );
    const connection = await resolveConnection({ env: { KUBECONFIG: path } });
    expect(connection).toMatchObject({
      server: "https://127.0.0.1:16443",
      tls: { ca: "CA PEM", cert: "CERT PEM", key: "KEY PEM", rejectUnauthorized: true },
      namespace: DEFAULT_NAMESPACE,
      source: "kubeconfig",
    });
    expect(connection.token).toBeUndefined();
  });

  test("file paths are relative to the kubeconfig's directory; bearer token", async () => {
    await mkdir(join(dir, "pki"));
    await writeFile(join(dir, "pki", "ca.crt"), "CA FILE");
    const path = join(dir, "config");
    await writeFile(
      path,
      kubeconfig({ server: "https://h:1", "certificate-authority": "pki/ca.crt" }, { token: "tok-123" }),
    );
    const connection = await resolveConnection({ env: { KUBECONFIG: path, METALLB_NAMESPACE: "lb" } });
    expect(connection.tls.ca).toBe("CA FILE");
    expect(await connection.token?.current()).toBe("tok-123");
    expect(connection.namespace).toBe("lb");
  });

  test("tokenFile is read and re-read (bound tokens rotate)", async () => {
    await writeFile(join(dir, "tok"), "first\n");
    const path = join(dir, "config");
    await writeFile(path, kubeconfig({ server: "https://h:1" }, { tokenFile: "tok" }));
    const connection = await resolveConnection({ env: { KUBECONFIG: path } });
    expect(await connection.token?.current()).toBe("first");
    await writeFile(join(dir, "tok"), "second\n");
    connection.token?.invalidate();
    expect(await connection.token?.current()).toBe("second");
  });

  test("insecure-skip-tls-verify drops the CA and verification; tls-server-name and proxy-url carry over", async () => {
    const path = join(dir, "config");
    await writeFile(
      path,
      kubeconfig(
        {
          server: "https://h:1",
          "insecure-skip-tls-verify": true,
          "certificate-authority-data": b64("CA"),
          "tls-server-name": "kubernetes.default.svc",
          "proxy-url": "http://proxy:3128",
        },
        { token: "t" },
      ),
    );
    const connection = await resolveConnection({ env: { KUBECONFIG: path } });
    expect(connection.tls).toEqual({ rejectUnauthorized: false, serverName: "kubernetes.default.svc" });
    expect(connection.proxy).toBe("http://proxy:3128");
  });

  test("several files: the first to define a name or current-context wins; missing files are skipped", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    await writeFile(
      a,
      stringify({ "current-context": "ctx", clusters: [{ name: "c", cluster: { server: "https://a:1" } }] }),
    );
    await writeFile(
      b,
      kubeconfig({ server: "https://b:1" }, { token: "from-b" }, { "current-context": "other" }),
    );
    const connection = await resolveConnection({
      env: { KUBECONFIG: [a, join(dir, "missing"), b].join(":") },
    });
    expect(connection.server).toBe("https://a:1");
    expect(await connection.token?.current()).toBe("from-b");
  });

  test.each([
    ["auth-provider plugins", { "auth-provider": { name: "gcp" } }, /auth-provider plugins were removed/],
    [
      "an exec plugin without interactiveMode (v1)",
      { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "x" } },
      /interactiveMode must be set/,
    ],
    [
      "an exec plugin of an unknown apiVersion",
      {
        exec: { apiVersion: "client.authentication.k8s.io/v1alpha1", command: "x", interactiveMode: "Never" },
      },
      /apiVersion/,
    ],
    ["a certificate without key", { "client-certificate-data": b64("C") }, /needs its key/],
    ["basic auth", { username: "admin", password: "x" }, /basic auth/],
  ])("refuses %s with an actionable message", async (_, user, message) => {
    const path = join(dir, "config");
    await writeFile(path, kubeconfig({ server: "https://h:1" }, user));
    const error = await rejection(resolveConnection({ env: { KUBECONFIG: path } }));
    expect(error).toBeInstanceOf(KubeConfigError);
    expect(error.message).toMatch(message);
  });

  test("a missing context or file is a KubeConfigError", async () => {
    const path = join(dir, "config");
    await writeFile(path, kubeconfig({ server: "https://h:1" }, {}, { "current-context": "nope" }));
    expect((await rejection(resolveConnection({ env: { KUBECONFIG: path } }))).message).toMatch(
      /no context "nope"/,
    );
    expect(await rejection(resolveConnection({ env: { KUBECONFIG: join(dir, "absent") } }))).toBeInstanceOf(
      KubeConfigError,
    );
  });
});

describe("in-cluster", () => {
  async function serviceAccountDir(namespace = "metallb-system") {
    const sa = join(dir, "sa");
    await mkdir(sa);
    await writeFile(join(sa, "token"), "sa-token\n");
    await writeFile(join(sa, "ca.crt"), "SA CA");
    await writeFile(join(sa, "namespace"), namespace);
    return sa;
  }

  test("reads token, CA and namespace from the directory named by METALBUN_SERVICEACCOUNT_DIR", async () => {
    const sa = await serviceAccountDir("lb-ns");
    const connection = await resolveConnection({
      env: {
        KUBERNETES_SERVICE_HOST: "10.96.0.1",
        KUBERNETES_SERVICE_PORT: "443",
        METALBUN_SERVICEACCOUNT_DIR: sa,
      },
    });
    expect(connection).toMatchObject({
      server: "https://10.96.0.1:443",
      tls: { ca: "SA CA", rejectUnauthorized: true },
      namespace: "lb-ns",
      source: "in-cluster",
    });
    expect(await connection.token?.current()).toBe("sa-token");
  });

  test("KUBECONFIG wins over in-cluster variables; METALLB_NAMESPACE wins over the namespace file", async () => {
    const sa = await serviceAccountDir("from-file");
    const path = join(dir, "config");
    await writeFile(path, kubeconfig({ server: "https://kc:1" }, { token: "t" }));
    const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
    const viaKubeconfig = await resolveConnection({
      env: { ...env, KUBECONFIG: path },
      serviceAccountDir: sa,
    });
    expect([viaKubeconfig.source, viaKubeconfig.namespace]).toEqual(["kubeconfig", "from-file"]);
    const named = await resolveConnection({
      env: { ...env, METALLB_NAMESPACE: "explicit" },
      serviceAccountDir: sa,
    });
    expect([named.source, named.namespace]).toEqual(["in-cluster", "explicit"]);
  });

  test("an IPv6 service host gets brackets", () => {
    expect(inClusterServer("fd00:10:96::1", "443")).toBe("https://[fd00:10:96::1]:443");
    expect(inClusterServer("[fd00::1]", "443")).toBe("https://[fd00::1]:443");
    expect(inClusterServer("10.96.0.1", "443")).toBe("https://10.96.0.1:443");
  });

  test("a missing token is reported at startup", async () => {
    const error = await rejection(
      resolveConnection({
        env: { KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "1" },
        serviceAccountDir: join(dir, "nothing"),
      }),
    );
    expect(error).toBeInstanceOf(KubeConfigError);
    expect(error.message).toContain(join(dir, "nothing"));
  });

  test("neither in a cluster nor a kubeconfig: a clear error", async () => {
    expect((await rejection(resolveConnection({ env: {} }))).message).toMatch(/KUBECONFIG unset/);
  });
});

describe("fileToken", () => {
  test("re-reads the file once the cached token is older than maxAgeMs", async () => {
    const path = join(dir, "token");
    await writeFile(path, "one");
    let now = 0;
    const token = fileToken(path, { maxAgeMs: 60_000, now: () => now });
    expect(await token.current()).toBe("one");
    await writeFile(path, "two");
    now = 59_999;
    expect(await token.current()).toBe("one");
    now = 60_000;
    expect(await token.current()).toBe("two");
  });

  test("keeps the last token while the file is briefly absent", async () => {
    const path = join(dir, "token");
    await writeFile(path, "kept");
    const token = fileToken(path);
    expect(await token.current()).toBe("kept");
    await Bun.file(path).delete();
    token.invalidate();
    expect(await token.current()).toBe("kept");
  });
});
