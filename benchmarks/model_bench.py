"""docker-bench against a real (tiny) model: llama.cpp's OpenAI-compatible server with
SmolLM2-135M-Instruct, started exactly as the `model_server` test tier starts it.

The model is far too small to do the tasks well; what this measures is the wire: the product's
tool catalogue, tool calls and approvals going through a real server and the real `openai`
client, and what that costs per task. A request takes seconds on 2 cores, so by default it runs
a subset: the first N tasks (by id) of each category.

    .venv/bin/python benchmarks/model_bench.py                    # 1 per category, tools offered
    .venv/bin/python benchmarks/model_bench.py --per-category 0   # all 115 tasks (long)
    .venv/bin/python benchmarks/model_bench.py --tool-choice list_containers --json /tmp/mb.json

Needs what `dockerdeployer bench` needs (an engine, the busybox test image) and the model server
(scripts/ensure-model-server.sh: cached under ~/.cache/dockerdeployer/model-server).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dockerdeployer.bench.loader import builtin_tasks_dir  # noqa: E402
from tests.model_server.conftest import MODEL_NAME, running_llama_server  # noqa: E402


def select_tasks(per_category: int, target: Path) -> list[str]:
    """Copy the first `per_category` task files of each category (all when 0) into `target`."""
    chosen = []
    source = Path(str(builtin_tasks_dir()))
    for category in sorted(p for p in source.iterdir() if p.is_dir()):
        files = sorted(category.glob("*.toml"))
        for task in files[:per_category] if per_category else files:
            (target / category.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(task, target / category.name / task.name)
            chosen.append(f"{category.name}/{task.stem}")
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-category", type=int, default=1, help="0: every task")
    parser.add_argument(
        "--tool-choice",
        default="auto",
        help="DOCKERDEPLOYER_MODEL_TOOL_CHOICE for the run ('' leaves it unset): `auto`, or a "
        "tool name to force on each turn's first call. llama.cpp's chatml-function-calling "
        "shows the model no tools when a request names no tool_choice, and refuses `required` "
        "(HTTP 500)",
    )
    parser.add_argument("--task-timeout", type=float, default=120.0)
    parser.add_argument(
        "--json", type=Path, help="keep the bench's JSON report here (and the server log beside)"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dd-model-bench-"))
    try:
        chosen = select_tasks(args.per_category, work / "tasks")
        report_path = args.json or work / "report.json"
        print(f"model bench: {len(chosen)} tasks, {MODEL_NAME} via llama.cpp's server, "
              f"tool choice {args.tool_choice or 'unset'!r}", flush=True)  # fmt: skip
        started = time.perf_counter()
        with running_llama_server(work / "llama.log") as base_url:
            print(f"model server up at {base_url} in {time.perf_counter() - started:.1f} s",
                  flush=True)  # fmt: skip
            env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERDEPLOYER_")}
            if args.tool_choice:
                env["DOCKERDEPLOYER_MODEL_TOOL_CHOICE"] = args.tool_choice
            env.update(
                # One request takes seconds here; no retries, so a failure is counted as such.
                DOCKERDEPLOYER_MODEL_TIMEOUT="300",
                DOCKERDEPLOYER_MODEL_MAX_RETRIES="0",
            )
            bench = [
                str(Path(sys.executable).with_name("dockerdeployer")), "bench",
                "--model", MODEL_NAME, "--base-url", base_url, "--api-key", "not-needed",
                "--tasks-dir", str(work / "tasks"), "--task-timeout", str(args.task_timeout),
                "--json", str(report_path),
            ]  # fmt: skip
            bench_started = time.perf_counter()
            # cwd: no stray .env from the repository reaches the bench's settings.
            code = subprocess.run(bench, env=env, cwd=work, check=False).returncode
            bench_seconds = time.perf_counter() - bench_started
        if args.json:
            shutil.copy(work / "llama.log", args.json.with_suffix(".llama.log"))
        if code not in (0, 1) or not report_path.exists():
            print(f"model bench: dockerdeployer bench exited {code} without a report")
            return 2
        summarise(json.loads(report_path.read_text()), bench_seconds, args.tool_choice or "unset")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarise(report: dict[str, Any], seconds: float, tool_choice: str) -> None:
    overall = report["overall"]
    tasks = report["tasks"]
    run = [t for t in tasks if not t["skipped"]]
    passed = sum(1 for t in run if t["pass_at_1"] == 1)
    calls = overall.get("model_calls", 0)
    print(f"\n== {report['model']} (tool choice {tool_choice!r}) ==")
    print(f"tasks: {len(tasks)} selected, {len(run)} run, {len(tasks) - len(run)} skipped")
    print(f"pass@1: {passed}/{len(run)} = {passed / len(run):.1%}" if run else "pass@1: -")
    print(
        f"model calls {calls:.0f}, tokens in/out {overall.get('tokens_in', 0):.0f}/"
        f"{overall.get('tokens_out', 0):.0f}, tool calls {overall.get('tool_calls', 0):.0f}"
    )
    per_call = f" ({seconds / calls:.1f} s per model call, task set-up included)" if calls else ""
    print(f"wall: {seconds / 60:.1f} min for the bench{per_call}")


if __name__ == "__main__":
    raise SystemExit(main())
