/**
 * MetalLB's `announceFailed`: an L2Advertisement may name the interfaces to answer on
 * (`spec.interfaces`); when none of them is an interface this node answers on, the Service is still
 * this node's to announce (the election does not look at interfaces, as in MetalLB), but nobody
 * will hear it. MetalLB then logs and emits a Warning per IP; so do we, once per (object, IPs,
 * interfaces) while it lasts, and again if it comes back. The IP stays in the desired set: the
 * announcer answers as soon as the named interface appears, without waiting for a reconcile.
 */
import type { L2Decision } from "../announce/l2-decision.ts";
import { announceFailed, type SpeakerEvent } from "./events.ts";

export interface InterfaceCheck {
  readonly events: ReadonlyArray<{
    readonly namespace: string;
    readonly name: string;
    readonly uid: string;
    readonly event: SpeakerEvent;
  }>;
  /** Service key -> fingerprint of the failure reported (the state's memory). */
  readonly reported: ReadonlyMap<string, string>;
}

export function checkInterfaces(
  decisions: readonly L2Decision[],
  self: string,
  localInterfaces: readonly string[] | undefined,
  previously: ReadonlyMap<string, string>,
): InterfaceCheck {
  if (localInterfaces === undefined) return { events: [], reported: previously };
  const local = new Set(localInterfaces);
  const events: InterfaceCheck["events"][number][] = [];
  const reported = new Map<string, string>();
  for (const d of decisions) {
    if (!d.announce || d.interfaces.length === 0) continue;
    if (d.interfaces.some((name) => local.has(name))) continue;
    const print = `${d.uid}|${d.ips.join(",")}|${d.interfaces.join(",")}`;
    reported.set(d.key, print);
    if (previously.get(d.key) === print) continue;
    for (const ip of d.ips)
      events.push({ namespace: d.namespace, name: d.name, uid: d.uid, event: announceFailed(ip, self) });
  }
  return { events, reported };
}
