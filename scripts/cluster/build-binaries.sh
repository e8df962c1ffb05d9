#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy and caches them per version:
#   kube-apiserver, kube-controller-manager, kube-scheduler (Kubernetes $K8S_VERSION),
#   etcd ($ETCD_VERSION), kwok ($KWOK_VERSION).
# Only the first run on a machine pays the build (15-30 min on 2 cores); later runs are a no-op.
# Usage: build-binaries.sh            -> prints the bin directory on the last line
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.33.13}"
ETCD_VERSION="${ETCD_VERSION:-3.5.21}"
KWOK_VERSION="${KWOK_VERSION:-0.7.0}"
CACHE_DIR="${DEV_SESSIONS_CACHE:-$HOME/.cache/dev-sessions}"
BIN_DIR="$CACHE_DIR/cluster-bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
log() { echo "[cluster-build] $*" >&2; }
die() { echo "[cluster-build] ERROR: $*" >&2; exit 1; }

want=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
missing=()
for b in "${want[@]}"; do [ -x "$BIN_DIR/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$BIN_DIR"; exit 0; fi

GO="${GO:-$(command -v go || true)}"
[ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; } || true
[ -n "$GO" ] && [ -x "$GO" ] || die "Go is required to build the local cluster binaries (looked on PATH and /usr/local/go/bin). Install Go >= 1.24, or point KUBECONFIG / app-config at your own cluster."

mkdir -p "$CACHE_DIR"
avail_kb=$(df -Pk "$CACHE_DIR" | awk 'NR==2{print $4}')
[ "${avail_kb:-0}" -ge 6000000 ] || die "not enough disk: the build needs about 6 GB free in $CACHE_DIR (have $((avail_kb/1024)) MB)."

# The checksum database is not reachable from every machine; modules come from the proxy only.
export GOSUMDB=off GONOSUMDB='*' GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
export GOTOOLCHAIN=local
WORK="$CACHE_DIR/cluster-build"
mkdir -p "$WORK" "$BIN_DIR.tmp"
log "building ${missing[*]} into $BIN_DIR (first run only; expect 15-30 min on 2 cores)"

# --- Kubernetes control plane: wrapper module replacing every staging module ----------------
build_k8s() {
  local mod="$WORK/k8s-$K8S_VERSION"
  mkdir -p "$mod"
  log "resolving k8s.io/kubernetes v$K8S_VERSION"
  local gomod
  gomod=$(cd "$mod" && "$GO" mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  [ -f "$gomod" ] || die "could not download k8s.io/kubernetes v$K8S_VERSION from the Go module proxy"
  local minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  local staging_ver="v0.${K8S_VERSION#*.}"
  {
    echo "module devsessions.local/k8sbuild"
    echo
    echo "go $(sed -n 's/^go \(.*\)/\1/p' "$gomod" | head -1)"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ v0\.0\.0\s*$' "$gomod" | awk -v v="$staging_ver" '{print "\t" $1 " => " $1 " " v}' | sort -u
    echo ")"
  } > "$mod/go.mod"
  cat > "$mod/tools.go" <<GO
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  log "downloading modules (go mod tidy)"
  (cd "$mod" && "$GO" mod tidy -e >&2) || die "go mod tidy failed for Kubernetes v$K8S_VERSION"
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$BIN_DIR/$c" ] && continue
    log "go build $c (this is the slow part)"
    (cd "$mod" && "$GO" build -trimpath -ldflags "$ld" -o "$BIN_DIR.tmp/$c" "k8s.io/kubernetes/cmd/$c") || die "building $c failed (see the Go output above)"
  done
}

build_etcd() {
  local mod="$WORK/etcd-$ETCD_VERSION"
  mkdir -p "$mod"
  cat > "$mod/go.mod" <<GO
module devsessions.local/etcdbuild

go 1.23

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION
GO
  cat > "$mod/tools.go" <<GO
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "go build etcd v$ETCD_VERSION"
  (cd "$mod" && "$GO" mod tidy -e >&2 && "$GO" build -trimpath -ldflags "-s -w" -o "$BIN_DIR.tmp/etcd" go.etcd.io/etcd/server/v3) || die "building etcd failed"
}

build_kwok() {
  log "go install kwok v$KWOK_VERSION"
  GOBIN="$BIN_DIR.tmp" "$GO" install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" || die "building kwok failed"
}

mkdir -p "$BIN_DIR"
k8s_built=""
for b in "${missing[@]}"; do
  case "$b" in
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    kube-*) [ -n "$k8s_built" ] || build_k8s; k8s_built=1 ;;
  esac
  for f in "$BIN_DIR.tmp"/*; do [ -e "$f" ] && mv -f "$f" "$BIN_DIR/"; done
done
rmdir "$BIN_DIR.tmp" 2>/dev/null || true
for b in "${want[@]}"; do [ -x "$BIN_DIR/$b" ] || die "$b missing after build"; done
log "done"
echo "$BIN_DIR"
