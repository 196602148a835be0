#!/usr/bin/env bash
# Builds MetalLB's controller and speaker from the Go module proxy, once, for `bun run bench peers`.
#
# Only MetalLB's released binaries are run, side by side with ours; none of its code is kept in
# this repository. Pinned to one release; the binaries land in the same cache root as the
# apiserver's, keyed by the version, so a second run with the same pin does nothing.
# Prints the bin directory on stdout (logs go to stderr).
set -euo pipefail

# v0.16.1, not v0.16.2: v0.16.2 requires github.com/metallb/frr-k8s v0.0.27, which the Go module
# proxy reachable here refuses (403), and no version it serves has the API v0.16.2 compiles
# against. v0.16.1's frr-k8s v0.0.25 is served. v0.15.2 builds too (with FRRK8S_VERSION=v0.0.21)
# but its controller-runtime throttles its client to 20 requests/s, which alone caps it below a
# steady 20 creates/s; from v0.16 on client-side throttling is off, as in the current release.
METALLB_VERSION="${METALLB_VERSION:-v0.16.1}"
# Optional: a github.com/metallb/frr-k8s version to build with instead of the one the release
# requires, for a release whose own is not served.
FRRK8S_VERSION="${FRRK8S_VERSION:-}"
CACHE_ROOT="${METALBUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metalbun}"
OUT="$CACHE_ROOT/testbed/metallb-${METALLB_VERSION}${FRRK8S_VERSION:+_frr-k8s-$FRRK8S_VERSION}"
BIN="$OUT/bin"

log() { echo "[build-metallb] $*" >&2; }

# One build at a time: parallel benches may all ask for the binaries at once.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [[ -x "$BIN/controller" && -x "$BIN/speaker" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "go is required (Go >= 1.26 from the machine image)"; exit 1; }
mkdir -p "$BIN" "$OUT/src"
# A consumer module rather than `go install pkg@version`, so that FRRK8S_VERSION can replace a
# dependency the proxy does not serve. Only the controller and speaker are built; nothing of
# MetalLB's code is used beyond running those two binaries.
# GOTOOLCHAIN=local: the release's go.mod suggests a newer patch toolchain than the machine's, and
# its `go` line (the minimum) is met, so no toolchain download is wanted.
export GOTOOLCHAIN=local
cd "$OUT/src"
if [[ ! -f go.sum ]]; then
  log "resolving go.universe.tf/metallb@$METALLB_VERSION"
  {
    echo "module metalbun.local/testbed-metallb"
    echo
    echo "go 1.26.0"
    echo
    echo "require go.universe.tf/metallb $METALLB_VERSION"
    if [[ -n "$FRRK8S_VERSION" ]]; then
      echo
      echo "replace github.com/metallb/frr-k8s => github.com/metallb/frr-k8s $FRRK8S_VERSION"
    fi
  } > go.mod
  go get -tool "go.universe.tf/metallb/controller@$METALLB_VERSION" "go.universe.tf/metallb/speaker@$METALLB_VERSION" >&2
  go mod tidy >&2
fi
log "building MetalLB controller and speaker $METALLB_VERSION (several minutes on 2 cores the first time)"
for cmd in controller speaker; do
  nice -n 10 go build -trimpath -ldflags "-s -w" -o "$BIN/$cmd.tmp" "go.universe.tf/metallb/$cmd" >&2
  mv "$BIN/$cmd.tmp" "$BIN/$cmd"
done

log "done: $BIN"
echo "$BIN"
