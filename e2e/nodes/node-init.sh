#!/usr/bin/env bash
# The first process of a testbed node: what a kind node's container is, made of namespaces.
# node.ts starts it as
#   setsid nsenter --net=/run/netns/<node> unshare --mount --uts --pid --fork --mount-proc --propagation slave bash node-init.sh
# so it is PID 1 of the node's own PID namespace, and the node's network, mount and UTS
# namespaces are its. SIGKILL to it ends every process of the node at once (the kernel kills a PID
# namespace with its first process), which is `docker stop --signal 9` of a kind node.
#
# Environment (from node.ts): NODE, NODE_IPS (IPv4,IPv6), NODE_DIR, BIN (the node binaries),
# PROXY (0 or 1), and BIND_<n>=<host path>:<node dir> for every directory the components hard-code.
set -euo pipefail

hostname "$NODE"
mkdir -p "$NODE_DIR/logs"
exec >>"$NODE_DIR/logs/node.log" 2>&1
echo "node $NODE starting (pid $$ in its namespace)"

# The node's own copies of the directories kubelet, containerd and CNI hard-code. The mount
# namespace is a slave of the machine's: nothing mounted here is seen outside.
for var in "${!BIND_@}"; do
  spec=${!var}
  target=${spec%%:*} source=${spec#*:}
  mkdir -p "$source"
  mount --bind "$source" "$target"
done
# Volumes the kubelet mounts under its root must reach the containers it starts.
mount --make-rshared /var/lib/kubelet

# Global sysctls the kubelet writes: a file of the node's own over each.
for f in "$NODE_DIR"/sysctl/*; do
  key=$(basename "$f" | tr . /)
  mount --bind "$f" "/proc/sys/$key"
done

export PATH="$BIN:/usr/sbin:/usr/bin:/sbin:/bin"

# As systemd does on a kind node (Restart=always): a component that exits is started again.
supervise() {
  local name=$1
  shift
  while true; do
    "$@" >>"$NODE_DIR/logs/$name.log" 2>&1 && code=0 || code=$?
    echo "$name exited ($code); starting it again in 1 s"
    sleep 1
  done
}

# A socket file left by the node's previous life would look like a listening containerd.
rm -f "$NODE_DIR/containerd.sock" "$NODE_DIR/containerd.sock.ttrpc"
supervise containerd containerd --config "$NODE_DIR/containerd.toml" &
for _ in $(seq 1 200); do
  [[ -S "$NODE_DIR/containerd.sock" ]] && break
  sleep 0.05
done
[[ -S "$NODE_DIR/containerd.sock" ]] || { echo "containerd never opened its socket"; exit 1; }
touch "$NODE_DIR/containerd.ready"

# node.ts imports the images (from the host, over the socket) before this file appears.
while [[ ! -e "$NODE_DIR/images.ready" ]]; do sleep 0.05; done

supervise kubelet kubelet --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$NODE_DIR/kubelet.kubeconfig" \
  --hostname-override="$NODE" --node-ip="$NODE_IPS" --v=1 &
if [[ "$PROXY" == 1 ]]; then
  supervise kube-proxy kube-proxy --config="$NODE_DIR/kube-proxy.yaml" --v=1 &
fi

# The node ends only when it is killed (node.ts): SIGKILL to this process ends all of it.
wait
