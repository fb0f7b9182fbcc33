#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server binaries are installed, for the `postgres` test tier and
# the shared-service load benchmark. Installs only: no cluster is created and no service started
# (Debian's package starts one on 5432; the tests never use it). Each test run starts its own
# throw-away cluster in a temporary directory on a free loopback port (tests/pg.py) and stops
# it at the end. Safe to run repeatedly. Used by `make test-all`.
set -euo pipefail

log() { echo "[ensure-postgres] $*" >&2; }

have_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && getent passwd postgres >/dev/null; }

if ! have_server; then
  if [ "$(id -u)" -ne 0 ]; then
    log "no PostgreSQL server and not root: sudo apt-get install postgresql"
    exit 1
  fi
  log "installing postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
command -v runuser >/dev/null || { log "runuser (util-linux) missing"; exit 1; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $bin"
