"""Per-request overhead of the agent with the offline planner, beyond the Docker calls.

A read request ("list running containers") goes through the whole path: thread bookkeeping,
the LangGraph agent, the planner, the guard, the audit write and the reply. Time spent inside
Docker engine calls is measured separately and subtracted. Goal: overhead < 50 ms.

    .venv/bin/python benchmarks/agent_overhead.py [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.factory import build_assistant
from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tools.guard.policy import Actor, Role
from tools.manager import DockerManager

GOAL_MS = 50.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--request", default="list running containers")
    args = parser.parse_args()

    engine_seconds = 0.0
    original = DockerManager.call

    def timed_call(self: DockerManager, fn: Any) -> Any:
        nonlocal engine_seconds
        started = time.perf_counter()
        try:
            return original(self, fn)
        finally:
            engine_seconds += time.perf_counter() - started

    DockerManager.call = timed_call  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), _env_file=None)  # type: ignore[call-arg]
        gateway = build_gateway(settings)
        assistant = build_assistant(settings, gateway)
        actor = Actor("bench", Role.VIEWER)
        assistant.chat(actor, args.request)  # warm up imports and caches
        totals, engine, overheads = [], [], []
        for _ in range(args.runs):
            engine_seconds = 0.0
            started = time.perf_counter()
            result = assistant.chat(actor, args.request)
            total = time.perf_counter() - started
            assert result.tool_calls and result.tool_calls[0]["status"] == "executed", result
            totals.append(total * 1000)
            engine.append(engine_seconds * 1000)
            overheads.append((total - engine_seconds) * 1000)
    DockerManager.call = original  # type: ignore[method-assign]

    def p(values: list[float], q: float) -> float:
        return sorted(values)[min(len(values) - 1, int(q * len(values)))]

    median = statistics.median(overheads)
    print(f"request: {args.request!r}, {args.runs} runs, offline planner")
    total_median = statistics.median(totals)
    print(f"total per request     median {total_median:7.1f} ms   p90 {p(totals, .9):7.1f}")
    print(f"inside Docker calls   median {statistics.median(engine):7.1f} ms")
    print(f"agent overhead        median {median:7.1f} ms   p90 {p(overheads, .9):7.1f}"
          f"   (goal < {GOAL_MS:.0f} ms: {'ok' if median < GOAL_MS else 'OVER'})")  # fmt: skip
    return 0 if median < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
