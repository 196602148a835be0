#!/usr/bin/env bash
# Builds the testbed's kube-apiserver, kubectl and etcd from the Go module proxy, once.
#
# Why a consumer module: k8s.io/kubernetes points its staging modules (k8s.io/api, ...) at
# ./staging/src/... and requires them at v0.0.0, which no proxy serves, so `go install` of it
# fails. Our own small module requires it and replaces each staging module with the published
# v0.<minor>.<patch> tag instead. etcd gets a module of its own so its dependency graph never
# fights the apiserver's.
#
# The binaries land in a cache outside the work tree, keyed by the pinned versions; a second run
# with the same pins does nothing. Prints the bin directory on stdout (logs go to stderr).
set -euo pipefail

KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE_ROOT="${METALBUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metalbun}"
KEY="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}"
OUT="$CACHE_ROOT/testbed/$KEY"
BIN="$OUT/bin"

log() { echo "[build-binaries] $*" >&2; }

# One build at a time: parallel test files may all ask for the binaries at once.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [[ -x "$BIN/kube-apiserver" && -x "$BIN/kubectl" && -x "$BIN/etcd" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "go is required (Go >= 1.26 from the machine image)"; exit 1; }
mkdir -p "$BIN" "$OUT/src/kube" "$OUT/src/etcd"
staging_minor="v0.${KUBERNETES_VERSION#v1.}"   # v1.37.2 -> v0.37.2

# --- kube-apiserver + kubectl -------------------------------------------------------------
cd "$OUT/src/kube"
if [[ ! -f go.sum ]]; then
  log "resolving k8s.io/kubernetes@$KUBERNETES_VERSION"
  modfile=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module metalbun.local/testbed-kube"
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
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubectl/pkg/cmd"
)
GO
  go mod tidy >&2
fi
log "building kube-apiserver (the first build takes a while on 2 cores)"
go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION" \
  -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
log "building kubectl"
go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION" \
  -o "$BIN/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl >&2
mv "$BIN/kubectl.tmp" "$BIN/kubectl"

# --- etcd ---------------------------------------------------------------------------------
cd "$OUT/src/etcd"
if [[ ! -f go.sum ]]; then
  log "resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  printf 'module metalbun.local/testbed-etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  printf 'package tools\n\nimport _ "go.etcd.io/etcd/server/v3/etcdmain"\n' > tools.go
  go mod tidy >&2
fi
log "building etcd"
go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3 >&2
mv "$BIN/etcd.tmp" "$BIN/etcd"

log "done: $BIN"
echo "$BIN"
