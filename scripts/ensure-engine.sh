#!/usr/bin/env bash
# Make sure a Docker engine answers and the test image is built; install Debian's engine if needed.
# Safe to run repeatedly. Used by `make test`, `make up` and CI.
set -euo pipefail

log() { echo "[ensure-engine] $*" >&2; }

engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v docker >/dev/null 2>&1 || need_apt+=(docker.io)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q static || need_apt+=(busybox-static)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
command -v file >/dev/null 2>&1 || need_apt+=(file)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)        # second test engine (netns)
command -v nsenter >/dev/null 2>&1 || need_apt+=(util-linux)
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)  # pulls from a loopback registry

if ! engine_answers; then
  if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      log "missing ${need_apt[*]} and not root: install them (sudo apt-get install ${need_apt[*]})"
      exit 1
    fi
    log "installing ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "no Docker engine answers and I am not root: start it (sudo systemctl start docker)"
    exit 1
  fi
  log "starting dockerd"
  # In a session of its own: the engine must outlive the shell (and process group) that
  # started it, or the end of one test run takes it down under the next.
  setsid nohup dockerd --host unix:///var/run/docker.sock >/tmp/dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do engine_answers && break; sleep 0.5; done
  engine_answers || { log "dockerd did not come up; see /tmp/dockerd.log"; tail -20 /tmp/dockerd.log >&2; exit 1; }
elif [ ${#need_apt[@]} -gt 0 ] && [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
log "engine $(docker version --format '{{.Server.Version}}') answers"

# The test image (static busybox on scratch, no registry needed), as the current
# tests/images/busybox/Dockerfile says: a cached build, seconds. `make test` rebuilds it afresh.
bash "$(dirname "$0")/test-images.sh"
