import { beforeEach, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { resolveConnection } from "./config.ts";
import { KubeConfigError } from "./errors.ts";
import { execToken } from "./exec-credential.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "metalbun-exec-"));
});

const V1 = "client.authentication.k8s.io/v1";

/**
 * A real plugin: a shell script that records each run (its args, env and KUBERNETES_EXEC_INFO)
 * and prints an ExecCredential with a token numbered by the run.
 */
async function plugin(status: string, apiVersion = V1): Promise<string> {
  const path = join(dir, "plugin.sh");
  await writeFile(
    path,
    `#!/bin/sh
n=$(( $(cat "${dir}/runs" 2>/dev/null || echo 0) + 1 ))
echo $n > "${dir}/runs"
printf '%s\\n' "$*" > "${dir}/args"
printf '%s' "$GREETING" > "${dir}/env"
printf '%s' "$KUBERNETES_EXEC_INFO" > "${dir}/info"
cat <<JSON
{"apiVersion":"${apiVersion}","kind":"ExecCredential","status":${status}}
JSON
`,
  );
  await chmod(path, 0o755);
  return path;
}

function kubeconfigWith(user: object, extra: object = {}): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "ctx",
    clusters: [{ name: "c", cluster: { server: "https://h:1", "insecure-skip-tls-verify": true } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "team-a" } }],
    ...extra,
  });
}

const runs = async () => Number(await readFile(join(dir, "runs"), "utf8"));

describe("exec credential plugins", () => {
  test("runs the plugin with its args, env and KUBERNETES_EXEC_INFO, and uses its token", async () => {
    await plugin('{"token":"tok-$n"}');
    const path = join(dir, "config");
    await writeFile(
      path,
      kubeconfigWith({
        exec: {
          apiVersion: V1,
          // Relative to the kubeconfig's directory, as client-go resolves it.
          command: "./plugin.sh",
          args: ["get-token", "--cluster", "c"],
          env: [{ name: "GREETING", value: "hello" }],
          interactiveMode: "Never",
          provideClusterInfo: true,
        },
      }),
    );
    const connection = await resolveConnection({ env: { KUBECONFIG: path } });
    expect(await connection.token?.current()).toBe("tok-1");
    expect(connection.contextNamespace).toBe("team-a");
    expect(await readFile(join(dir, "args"), "utf8")).toBe("get-token --cluster c\n");
    expect(await readFile(join(dir, "env"), "utf8")).toBe("hello");
    const info = JSON.parse(await readFile(join(dir, "info"), "utf8"));
    expect(info).toEqual({
      apiVersion: V1,
      kind: "ExecCredential",
      spec: { interactive: false, cluster: { server: "https://h:1", "insecure-skip-tls-verify": true } },
    });
    // Cached (no expiry): not run again until the apiserver refuses it.
    expect(await connection.token?.current()).toBe("tok-1");
    expect(await runs()).toBe(1);
    connection.token?.invalidate();
    expect(await connection.token?.current()).toBe("tok-2");
  });

  test("re-runs the plugin once its credential expires", async () => {
    const command = await plugin('{"token":"tok-$n","expirationTimestamp":"2030-01-01T00:00:00Z"}');
    let now = Date.parse("2029-12-31T23:59:00Z");
    const exec = { apiVersion: V1, command, interactiveMode: "Never" as const };
    const token = execToken(exec, { baseDir: dir, user: "u", now: () => now });
    expect(await token.current()).toBe("tok-1");
    expect(await token.current()).toBe("tok-1");
    now = Date.parse("2030-01-01T00:00:01Z");
    expect(await token.current()).toBe("tok-2");
  });

  test("interactiveMode Always without a terminal, a failing plugin, bad output: errors that say so", async () => {
    const command = await plugin('{"token":"t"}');
    const path = join(dir, "config");
    await writeFile(path, kubeconfigWith({ exec: { apiVersion: V1, command, interactiveMode: "Always" } }));
    await expect(resolveConnection({ env: { KUBECONFIG: path } })).rejects.toThrow(/not a terminal/);

    await writeFile(
      path,
      kubeconfigWith({ exec: { apiVersion: V1, command: "/bin/false", interactiveMode: "Never" } }),
    );
    await expect(resolveConnection({ env: { KUBECONFIG: path } })).rejects.toBeInstanceOf(KubeConfigError);

    const wrong = await plugin('{"token":"t"}', "client.authentication.k8s.io/v1beta1");
    await writeFile(
      path,
      kubeconfigWith({ exec: { apiVersion: V1, command: wrong, interactiveMode: "Never" } }),
    );
    await expect(resolveConnection({ env: { KUBECONFIG: path } })).rejects.toThrow(/wrong output/);
  });

  test("v1beta1 defaults interactiveMode to IfAvailable; a client certificate from the plugin is used", async () => {
    const command = await plugin(
      '{"clientCertificateData":"CERT","clientKeyData":"KEY"}',
      "client.authentication.k8s.io/v1beta1",
    );
    const path = join(dir, "config");
    await writeFile(
      path,
      kubeconfigWith({ exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command } }),
    );
    const connection = await resolveConnection({ env: { KUBECONFIG: path } });
    expect(connection.tls.cert).toBe("CERT");
    expect(connection.tls.key).toBe("KEY");
    expect(connection.token).toBeUndefined();
  });

  test("--context picks another context; KUBECONFIG merges files, the first to define a name wins", async () => {
    const a = join(dir, "a");
    const b = join(dir, "b");
    await writeFile(
      a,
      stringify({
        "current-context": "one",
        clusters: [{ name: "c1", cluster: { server: "https://one:1" } }],
        users: [{ name: "u", user: { token: "from-a" } }],
        contexts: [{ name: "one", context: { cluster: "c1", user: "u" } }],
      }),
    );
    await writeFile(
      b,
      stringify({
        "current-context": "two",
        clusters: [
          { name: "c1", cluster: { server: "https://ignored:1" } },
          { name: "c2", cluster: { server: "https://two:2" } },
        ],
        users: [{ name: "u", user: { token: "from-b" } }],
        contexts: [{ name: "two", context: { cluster: "c2", user: "u", namespace: "ns-two" } }],
      }),
    );
    const env = { KUBECONFIG: `${a}:${join(dir, "missing")}:${b}` };
    const first = await resolveConnection({ env });
    expect(first.server).toBe("https://one:1");
    const two = await resolveConnection({ env, context: "two" });
    expect(two.server).toBe("https://two:2");
    expect(await two.token?.current()).toBe("from-a");
    expect(two.contextNamespace).toBe("ns-two");
    // --kubeconfig wins over KUBECONFIG.
    expect((await resolveConnection({ env, kubeconfig: b })).server).toBe("https://two:2");
  });
});
