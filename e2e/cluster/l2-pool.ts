/**
 * A pool that assigns only when a Service asks for it (`metallb.io/address-pool`) and the
 * L2Advertisement that announces it, as one List for `kubectl apply -f -`: what a test adds beside
 * the seed's pool for a family, a set of interfaces or a segment of its own.
 */
export function l2PoolManifest(
  name: string,
  addresses: readonly string[],
  interfaces?: readonly string[],
): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "IPAddressPool",
        metadata: { name, namespace: "metallb-system" },
        spec: { addresses, autoAssign: false },
      },
      {
        apiVersion: "metallb.io/v1beta1",
        kind: "L2Advertisement",
        metadata: { name, namespace: "metallb-system" },
        spec: { ipAddressPools: [name], ...(interfaces === undefined ? {} : { interfaces }) },
      },
    ],
  });
}
