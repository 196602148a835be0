#!/usr/bin/env bash
# Builds MetalLB's controller and speaker from the Go module proxy, once, for `bun run bench peers`.
#
# Only MetalLB's released binaries are run, side by side with ours; none of its code is kept in
# this repository. Pinned to one release; the binaries land in the same cache root as the
# apiserver's, keyed by the version, so a second run with the same pin does nothing.
# Prints the bin directory on stdout (logs go to stderr).
set -euo pipefail

METALLB_VERSION="${METALLB_VERSION:-v0.15.2}"
# What the release requires, and the replacement the proxy serves (see below).
FRRK8S_WANTED="v0.0.20"
FRRK8S_VERSION="${FRRK8S_VERSION:-v0.0.21}"
CACHE_ROOT="${METALBUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metalbun}"
OUT="$CACHE_ROOT/testbed/metallb-${METALLB_VERSION}_frr-k8s-$FRRK8S_VERSION"
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
# A consumer module rather than `go install pkg@version`: the release requires
# github.com/metallb/frr-k8s $FRRK8S_WANTED, a version the proxy here does not serve, so the build
# replaces it with the newest one it does. Only the controller and speaker are built; nothing of
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
    echo
    echo "replace github.com/metallb/frr-k8s => github.com/metallb/frr-k8s $FRRK8S_VERSION"
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
