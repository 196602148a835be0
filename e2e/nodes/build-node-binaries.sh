#!/usr/bin/env bash
# Builds what a real node of the testbed runs, from the Go module proxy, once:
#   kubelet, kube-proxy, kube-controller-manager, kube-scheduler   (k8s.io/kubernetes, as the apiserver)
#   containerd, containerd-shim-runc-v2, ctr                       (containerd 2.x: kubelet 1.38 drops 1.x)
#   runc                                                           (cgo + libseccomp, like every distribution's)
#   pause                                                          (our own, a static Go program: image.ts wraps it)
# CNI plugins come from Debian (containernetworking-plugins, /usr/lib/cni), installed by ./dev setup.
#
# Same consumer-module trick as build-binaries.sh (the staging modules are replaced by their
# published tags), in a module of its own so the apiserver's cached build never changes.
# Prints the bin directory on stdout (logs go to stderr); a second run with the same pins does nothing.
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.37.2}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-v2.4.2}"
RUNC_VERSION="${RUNC_VERSION:-v1.5.3}"
CACHE_ROOT="${METALBUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metalbun}"
OUT="$CACHE_ROOT/testbed/nodes-k8s-${KUBERNETES_VERSION}_containerd-${CONTAINERD_VERSION}_runc-${RUNC_VERSION}"
BIN="$OUT/bin"
PAUSE_SOURCE="$(cd "$(dirname "$0")" && pwd)/pause"
WANTED=(kubelet kube-proxy kube-controller-manager kube-scheduler containerd containerd-shim-runc-v2 ctr runc pause)

log() { echo "[build-node-binaries] $*" >&2; }

mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

all_built() {
  local b
  for b in "${WANTED[@]}"; do [[ -x "$BIN/$b" ]] || return 1; done
}
if all_built; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "go is required (Go >= 1.26 from the machine image)"; exit 1; }
mkdir -p "$BIN" "$OUT/src/kube"
staging_minor="v0.${KUBERNETES_VERSION#v1.}"
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION"

# Each binary is written beside its final name and renamed, so a half-written one never looks built.
build_into_bin() { # name, go build args...
  local name=$1; shift
  [[ -x "$BIN/$name" ]] && return 0
  log "building $name"
  go build -trimpath -o "$BIN/$name.tmp" "$@" >&2
  mv "$BIN/$name.tmp" "$BIN/$name"
}

# --- Kubernetes node and control-plane components ----------------------------------------------
cd "$OUT/src/kube"
if [[ ! -f go.sum ]]; then
  log "resolving k8s.io/kubernetes@$KUBERNETES_VERSION"
  modfile=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module metalbun.local/testbed-nodes"
    echo
    echo "go 1.26.0"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$modfile" |
      awk -v v="$staging_minor" '{ print "replace " $1 " => " $1 " " v }'
  } > go.mod
  cat > tools.go <<'GO'
package tools

// Blank imports keep `go mod tidy` from pruning what we build.
import (
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-proxy/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
)
GO
  go mod tidy >&2
fi
for c in kubelet kube-proxy kube-scheduler kube-controller-manager; do
  build_into_bin "$c" -ldflags "$ldflags" "k8s.io/kubernetes/cmd/$c"
done

# --- containerd and runc: `go install pkg@version` builds with each release's own go.mod -------
install_into_bin() { # name, package@version, extra env...
  local name=$1 pkg=$2; shift 2
  [[ -x "$BIN/$name" ]] && return 0
  log "building $name ($pkg)"
  local tmp="$OUT/gobin.tmp"
  rm -rf "$tmp"; mkdir -p "$tmp"
  env GOBIN="$tmp" "$@" go install -trimpath -ldflags "-s -w" "$pkg" >&2
  mv "$tmp/$(basename "${pkg%@*}")" "$BIN/$name"
  rm -rf "$tmp"
}
install_into_bin containerd "github.com/containerd/containerd/v2/cmd/containerd@$CONTAINERD_VERSION"
install_into_bin containerd-shim-runc-v2 "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"
install_into_bin ctr "github.com/containerd/containerd/v2/cmd/ctr@$CONTAINERD_VERSION"
# runc's seccomp support is cgo against libseccomp (Debian's libseccomp-dev + pkg-config).
pkg-config --exists libseccomp || { log "libseccomp-dev and pkg-config are required (./dev setup installs them)"; exit 1; }
[[ -x "$BIN/runc" ]] || {
  tmp="$OUT/gobin.tmp"; rm -rf "$tmp"; mkdir -p "$tmp"
  log "building runc $RUNC_VERSION"
  GOBIN="$tmp" CGO_ENABLED=1 go install -trimpath -tags seccomp -ldflags "-s -w" "github.com/opencontainers/runc@$RUNC_VERSION" >&2
  mv "$tmp/runc" "$BIN/runc"; rm -rf "$tmp"
}

# --- pause: the sandbox's first process, ours (see e2e/nodes/pause/main.go) ----------------------
[[ -x "$BIN/pause" ]] || {
  log "building pause"
  (cd "$PAUSE_SOURCE" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/pause.tmp" .) >&2
  mv "$BIN/pause.tmp" "$BIN/pause"
}

all_built || { log "not every binary was built: ${WANTED[*]}"; exit 1; }
log "done: $BIN"
echo "$BIN"
