#!/usr/bin/env bash
# The test suite's own images, built from tests/images/ (no registry needed).
#
#   scripts/test-images.sh                  build dockerdeployer-test/busybox:1 (layer cache on:
#                                           seconds, and always what the current Dockerfile says)
#   scripts/test-images.sh --fresh          first remove every dockerdeployer-test/* image, then
#                                           build busybox:1 without the cache (make test, CI)
#   scripts/test-images.sh --fresh --build-cache
#                                           also remove what scripts/build-image.sh caches for the
#                                           slow tier: the debootstrap base image it made
#                                           (local/debian*, label dockerdeployer.base), the
#                                           untagged layers its test builds left on it, and its
#                                           wheelhouse (make test-all; KEEP_BUILD_CACHE=1 skips it).
#                                           A base with a tagged image on it (your own
#                                           `make image`) is kept, and so stays cached.
#
# Why --fresh: an image or cache left on a machine by an earlier run can hide a failure that a
# fresh machine shows (a LABEL once in tests/images/busybox/Dockerfile leaked into every test
# container; CI on the same machine stayed green). Nothing else is touched: only images named
# dockerdeployer-test/* and base images this project's build script made; apt packages, the pip
# cache and the engine's other images stay. An image still used by a container, or built in the
# last 10 minutes (another test session on this engine may be using it right now), is kept.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=dockerdeployer-test/busybox:1
RECENT_SECONDS=${RECENT_SECONDS:-600}
CACHE=${DOCKERDEPLOYER_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockerdeployer-build}

log() { echo "[test-images] $*" >&2; }

fresh=0 build_cache=0
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=1 ;;
    --build-cache) build_cache=1 ;;
    *) log "unknown argument $arg"; exit 2 ;;
  esac
done

docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || { log "no Docker engine answers: bash scripts/ensure-engine.sh"; exit 1; }

# Seconds since an image was created (a large number when it cannot be read).
age() {
  local created
  created=$(docker image inspect --format '{{.Created}}' "$1" 2>/dev/null) || { echo 999999; return; }
  echo $(( $(date +%s) - $(date -d "$created" +%s 2>/dev/null || echo 0) ))
}

# Remove a tag unless it is in use or recent; `docker rmi` without -f refuses an image that a
# container (running or not) uses, which is what we want.
remove() {
  local ref=$1
  if [ "$(age "$ref")" -lt "$RECENT_SECONDS" ]; then
    log "keeping $ref: built less than $((RECENT_SECONDS / 60)) min ago (another session's?)"
    return
  fi
  if docker rmi "$ref" >/dev/null 2>&1; then
    log "removed $ref"
  else
    log "keeping $ref: in use (by a container, or an image is built on it)"
  fi
}

# Untagged images built on image $1 that nothing else is built on: what the product image
# build's test leaves behind as layer cache (it removes its image but keeps the layers).
untagged_leaves_on() {
  local ids
  ids=$(docker image ls -aq --no-trunc | sort -u)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  { docker image inspect -f '{{.Id}} {{.Parent}} {{len .RepoTags}}' $ids 2>/dev/null || true; } |
    awk -v base="$1" '
    { parent[$1] = $2; tags[$1] = $3; if ($2 != "") children[$2]++ }
    END {
      for (id in parent) {
        if (id == base || tags[id] != 0 || children[id]) continue
        p = parent[id]
        while (p != "" && p != base) p = parent[p]
        if (p == base) print id
      }
    }'
}

if [ "$fresh" = 1 ]; then
  # busybox:1 itself is replaced below by a build that moves the tag (no moment without it).
  docker image ls --format '{{.Repository}}:{{.Tag}}' 'dockerdeployer-test/*' \
    | awk -v keep="$IMAGE" '$0 != keep && $0 !~ /:<none>$/' | while read -r ref; do remove "$ref"; done
  if [ "$build_cache" = 1 ]; then
    docker image ls --format '{{.Repository}}:{{.Tag}}' --filter 'label=dockerdeployer.base' \
      | awk '/^local\/debian/' | while read -r ref; do
          base=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null) || continue
          # its leftover layer cache first (docker rmi of a leaf also drops its untagged parents)
          untagged_leaves_on "$base" | while read -r leaf; do
            if [ "$(age "$leaf")" -ge "$RECENT_SECONDS" ]; then
              if docker rmi "$leaf" >/dev/null 2>&1; then
                log "removed build layers ${leaf:7:12} (on $ref)"
              fi
            fi
          done
          remove "$ref"
        done
    if [ -d "$CACHE" ]; then
      # Under build-image.sh's own lock: never under a build that is filling it.
      (
        if command -v flock >/dev/null 2>&1; then exec 9>"$CACHE/build.lock"; flock 9; fi
        rm -rf "$CACHE"/deps-*
      )
      log "removed the wheelhouse cache in $CACHE"
    fi
  fi
fi

old=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
busybox=$(command -v busybox || echo /bin/busybox)
cp "$busybox" "$ctx/busybox"
cp "$ROOT/tests/images/busybox/Dockerfile" "$ctx/Dockerfile"
build=(docker build -q -t "$IMAGE")
if [ "$fresh" = 1 ]; then build+=(--no-cache); fi
# (the classic builder: FROM scratch needs nothing else; its deprecation notice is noise)
if ! DOCKER_BUILDKIT=0 "${build[@]}" "$ctx" >"$ctx/build.log" 2>&1; then
  cat "$ctx/build.log" >&2
  log "building $IMAGE failed"
  exit 1
fi
new=$(docker image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$old" ] && [ "$old" != "$new" ]; then
  # The previous build, now untagged; kept if a container still uses it.
  docker rmi "$old" >/dev/null 2>&1 || true
fi
labels=$(docker image inspect --format '{{json .Config.Labels}}' "$IMAGE")
if [ "$labels" != "null" ] && [ "$labels" != "{}" ]; then
  log "$IMAGE has labels $labels: its containers would inherit them (tests compare labels)"
  exit 1
fi
if [ "$fresh" = 1 ]; then log "built $IMAGE afresh (${new:7:12})"; else log "$IMAGE ready"; fi
