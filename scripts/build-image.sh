#!/usr/bin/env bash
# Build the DockerDeployer image without a registry or network access inside the build:
#   1. the base image (default local/debian:bookworm) is made with debootstrap + docker import
#      when it is missing (cached: skipped when the image exists);
#   2. a wheelhouse of every dependency is built on the host with pip (cached per pyproject.toml)
#      and a wheel of the project itself from a clean copy of the source;
#   3. `docker build` installs them with `pip install --no-index` (see Dockerfile).
#
# Usage: scripts/build-image.sh [-t TAG] [extra docker build args, e.g. --label k=v]
# Environment:
#   IMAGE          image tag (default dockerdeployer:latest; -t overrides)
#   BASE_IMAGE     base image (default local/debian:bookworm); a local/debian*:SUITE image is
#                  made with debootstrap if missing, any other name must be present or pullable
#   DEBIAN_MIRROR  mirror for debootstrap (default http://deb.debian.org/debian)
#   PYTHON         a Python 3.11 with pip, for the wheelhouse (default .venv/bin/python)
#   DOCKERDEPLOYER_BUILD_CACHE   wheelhouse cache (default ~/.cache/dockerdeployer-build)
set -euo pipefail

SECONDS=0
log() { echo "[build-image +${SECONDS}s] $*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${IMAGE:-dockerdeployer:latest}
BASE_IMAGE=${BASE_IMAGE:-local/debian:bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${DOCKERDEPLOYER_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockerdeployer-build}
# The image's Python (Debian bookworm: 3.11) must match the wheels' ABI.
TARGET_PY=${TARGET_PY:-3.11}

if [ "${1:-}" = "-t" ]; then
  [ $# -ge 2 ] || die "-t needs a tag"
  IMAGE=$2
  shift 2
fi

if [ -z "${PYTHON:-}" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PYTHON=$ROOT/.venv/bin/python
  elif command -v "python$TARGET_PY" >/dev/null 2>&1; then PYTHON=python$TARGET_PY
  else PYTHON=python3
  fi
fi

command -v docker >/dev/null 2>&1 || die "no docker client"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers"
py_version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
  || die "cannot run $PYTHON"
[ "$py_version" = "$TARGET_PY" ] || die "$PYTHON is Python $py_version; the image runs \
Python $TARGET_PY, so build the wheelhouse with a Python $TARGET_PY (set PYTHON=...)"
"$PYTHON" -m pip --version >/dev/null 2>&1 || die "$PYTHON has no pip"

mkdir -p "$CACHE"
rootfs="" ctx=""
cleanup() {
  if [ -n "$rootfs" ]; then rm -rf "$rootfs" "$rootfs.log"; fi
  if [ -n "$ctx" ]; then rm -rf "$ctx"; fi
}
trap cleanup EXIT

# --- 1. base image -------------------------------------------------------------------------------
ensure_base() {
  if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE present (cached)"
    return
  fi
  case "$BASE_IMAGE" in
    local/debian*:*) ;;
    *) log "base image $BASE_IMAGE not present: docker build will try to pull it"; return ;;
  esac
  local suite=${BASE_IMAGE##*:}
  [ "$(id -u)" -eq 0 ] || die "making $BASE_IMAGE needs root (debootstrap); or set BASE_IMAGE"
  if ! command -v debootstrap >/dev/null 2>&1; then
    log "installing debootstrap"
    { apt-get install -y -qq debootstrap \
        || { apt-get update -qq && apt-get install -y -qq debootstrap; }; } >/dev/null
  fi
  rootfs=$(mktemp -d /tmp/dockerdeployer-rootfs.XXXXXX)
  log "debootstrap $suite from $DEBIAN_MIRROR (about 30 s)"
  debootstrap --variant=minbase "$suite" "$rootfs" "$DEBIAN_MIRROR" >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; rm -f "$rootfs.log"; die "debootstrap failed"; }
  rm -f "$rootfs.log"
  # Security and point-release updates, as in the official images.
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR $suite main
deb $DEBIAN_MIRROR $suite-updates main
deb ${DEBIAN_MIRROR%/debian}/debian-security $suite-security main
EOF
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' --change "LABEL dockerdeployer.base=debootstrap-$suite" \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "made $BASE_IMAGE"
}

# Two builds at once must not both debootstrap, nor both fill the wheelhouse cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/build.lock"
  flock 9
fi
ensure_base

# --- 2. wheelhouse -------------------------------------------------------------------------------
ctx=$(mktemp -d /tmp/dockerdeployer-ctx.XXXXXX)
mkdir -p "$ctx/wheels/deps" "$ctx/wheels/bootstrap" "$ctx/wheels/app"

# A clean copy of the source: stale build/ or egg-info output must never leak into the wheel.
src="$ctx/src"
mkdir -p "$src"
tar -C "$ROOT" -c --exclude=./.venv --exclude=./.git --exclude=./build --exclude=./dist \
  --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache --exclude=.ruff_cache \
  --exclude=.pytest_cache --exclude=./tests --exclude=./benchmarks --exclude=./docs \
  --exclude=./test-artifacts --exclude=./bench-results --exclude=./.env . | tar -C "$src" -x

# Dependencies are cached by the exact pyproject.toml and Python version.
key=$(cat "$ROOT/pyproject.toml" <(echo "$py_version") | sha256sum | cut -c1-16)
deps="$CACHE/deps-$key"
if [ ! -f "$deps/.complete" ]; then
  log "building the dependency wheelhouse (cached afterwards in $deps)"
  rm -rf "$deps" "$deps.tmp"
  mkdir -p "$deps.tmp/bootstrap"
  # (grep: this host's pip config names optional local indexes; their warnings are noise.)
  "$PYTHON" -m pip wheel -q -w "$deps.tmp" "$src" 2> >(grep -v "^WARNING: Location" >&2)
  rm -f "$deps.tmp"/dockerdeployer-*.whl
  # pip itself, run from its wheel inside the build: the image never needs pip installed.
  "$PYTHON" -m pip download -q --only-binary=:all: --no-deps -d "$deps.tmp/bootstrap" pip
  # What building the project's own wheel needs, so warm builds use no index at all.
  "$PYTHON" -m pip download -q --only-binary=:all: -d "$deps.tmp/buildreq" \
    "setuptools>=69" wheel
  touch "$deps.tmp/.complete"
  mv "$deps.tmp" "$deps"
else
  log "dependency wheelhouse cached ($deps)"
fi
# Hard links when possible: the wheelhouse is a few hundred MB.
cp -l "$deps"/*.whl "$ctx/wheels/deps/" 2>/dev/null || cp "$deps"/*.whl "$ctx/wheels/deps/"
cp "$deps"/bootstrap/pip-*.whl "$ctx/wheels/bootstrap/pip.whl"
if command -v flock >/dev/null 2>&1; then flock -u 9; fi

log "building the project wheel"
# Fixed timestamps: the same source gives the same wheel, so docker reuses the cached layers.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800}
"$PYTHON" -m pip wheel -q --no-deps --no-index --find-links "$deps/buildreq" \
  -w "$ctx/wheels/app" "$src" 2>/dev/null \
  || "$PYTHON" -m pip wheel -q --no-deps -w "$ctx/wheels/app" "$src"
rm -rf "$src"
cp "$ROOT/.dockerignore" "$ctx/.dockerignore" 2>/dev/null || true

# --- 3. docker build -----------------------------------------------------------------------------
log "docker build -t $IMAGE (base $BASE_IMAGE)"
DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" -f "$ROOT/Dockerfile" "$@" "$ctx"
log "built $IMAGE"
