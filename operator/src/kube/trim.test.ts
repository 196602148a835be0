import { describe, expect, test } from "bun:test";
import { firstValueFrom, of, toArray } from "rxjs";
import { LAST_APPLIED, trimEvents, trimmed } from "./trim.ts";
import type { KubeObject } from "./types.ts";
import type { WatchEvent } from "./watch.ts";

const service = (metadata: KubeObject["metadata"]): KubeObject & { spec: unknown } => ({
  apiVersion: "v1",
  kind: "Service",
  metadata,
  spec: { type: "LoadBalancer" },
});

describe("trimmed", () => {
  test("drops managedFields and kubectl's last-applied annotation, keeps every other annotation", () => {
    const object = service({
      name: "a",
      namespace: "default",
      resourceVersion: "7",
      managedFields: [{ manager: "kubectl" }],
      annotations: { [LAST_APPLIED]: "{...}", "metallb.io/address-pool": "p" },
      labels: { app: "a" },
    });
    const kept = trimmed(object);
    expect(kept.metadata).toEqual({
      name: "a",
      namespace: "default",
      resourceVersion: "7",
      annotations: { "metallb.io/address-pool": "p" },
      labels: { app: "a" },
    });
    expect((kept as typeof object).spec).toBe(object.spec);
    // The input is not mutated: the watch's object may be shared.
    expect(object.metadata.managedFields).toHaveLength(1);
  });

  test("an object with nothing to drop is returned as is (its identity tells stores it is unchanged)", () => {
    const object = service({ name: "b", annotations: { x: "y" } });
    expect(trimmed(object)).toBe(object);
  });

  test("the operator trims apply, initApply and delete events and passes frames through", async () => {
    const events: WatchEvent<KubeObject>[] = [
      { type: "init" },
      { type: "initApply", object: service({ name: "c", managedFields: [{}] }) },
      { type: "initDone", resourceVersion: "1" },
      { type: "apply", object: service({ name: "c", managedFields: [{}] }) },
      { type: "delete", object: service({ name: "c", managedFields: [{}] }) },
    ];
    const out = await firstValueFrom(of(...events).pipe(trimEvents(), toArray()));
    expect(out.map((e) => e.type)).toEqual(["init", "initApply", "initDone", "apply", "delete"]);
    for (const e of out) if ("object" in e) expect(e.object.metadata.managedFields).toBeUndefined();
  });
});
