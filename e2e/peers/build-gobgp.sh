#!/usr/bin/env bash
# Builds GoBGP (gobgpd and its CLI gobgp) from the Go module proxy, once, for the testbed's peers.
#
# Pinned to one release; the binaries land in the same cache root as the apiserver's, keyed by the
# version, so a second run does nothing. Debian's gobgpd (3.x) has no BFD, hence a build of v4.
# Prints the bin directory on stdout (logs go to stderr).
set -euo pipefail

GOBGP_VERSION="${GOBGP_VERSION:-v4.9.0}"
CACHE_ROOT="${METALBUN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/metalbun}"
OUT="$CACHE_ROOT/testbed/gobgp-$GOBGP_VERSION"
BIN="$OUT/bin"

log() { echo "[build-gobgp] $*" >&2; }

# One build at a time: parallel test files may all ask for the binaries at once.
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9

if [[ -x "$BIN/gobgpd" && -x "$BIN/gobgp" ]]; then
  log "cached: $BIN"
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "go is required (Go >= 1.26 from the machine image)"; exit 1; }
mkdir -p "$BIN"
# `go install pkg@version` builds outside any module, with the release's own go.mod and go.sum.
# GOBIN is a temporary directory so a half-written binary never looks cached.
tmp="$OUT/bin.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
log "building gobgpd and gobgp $GOBGP_VERSION (a few minutes on 2 cores the first time)"
GOBIN="$tmp" go install -trimpath -ldflags "-s -w" \
  "github.com/osrg/gobgp/v4/cmd/gobgpd@$GOBGP_VERSION" \
  "github.com/osrg/gobgp/v4/cmd/gobgp@$GOBGP_VERSION" >&2
mv "$tmp/gobgpd" "$BIN/gobgpd"
mv "$tmp/gobgp" "$BIN/gobgp"
rm -rf "$tmp"

log "done: $BIN"
echo "$BIN"
