#!/usr/bin/env bash
# The end-to-end console test drives Debian's Chromium through Playwright (never
# `playwright install`: it downloads and fails here). Install the browser if it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "[ensure-browser] /usr/bin/chromium missing: sudo apt-get install chromium" >&2
  exit 1
fi
echo "[ensure-browser] installing chromium" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
