"""Aggregate attempts into pass@1 / pass@k per task, per category and overall; JSON, markdown.

pass@k is the unbiased estimator of k8s-ai-bench and HumanEval: with n attempts of which c
passed, 1 - C(n-c, k) / C(n, k). pass@1 is then simply c / n. Skipped tasks (a requirement
such as Swarm is missing) are listed but count in no rate.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb
from statistics import mean
from typing import Any

from dockerdeployer.bench.attempt import Attempt
from dockerdeployer.bench.spec import Task

METRICS = ("model_calls", "tokens_in", "tokens_out", "tool_calls", "agent_seconds", "wall_seconds")


def pass_at_k(n: int, c: int, k: int) -> float:
    if n == 0:
        return 0.0
    k = min(k, n)
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


@dataclass
class TaskSummary:
    task: Task
    attempts: list[Attempt]

    @property
    def skipped(self) -> bool:
        return all(a.status == "skip" for a in self.attempts)

    @property
    def passes(self) -> int:
        return sum(1 for a in self.attempts if a.status == "pass")

    def rate(self, k: int) -> float:
        return pass_at_k(len(self.attempts), self.passes, k)

    def metric(self, name: str) -> float:
        return mean(float(getattr(a, name)) for a in self.attempts) if self.attempts else 0.0

    @property
    def reason(self) -> str:
        """The first failure of the first failing attempt (or why it was skipped)."""
        for attempt in self.attempts:
            if attempt.status != "pass" and attempt.failures:
                return attempt.failures[0]
        return ""


@dataclass
class Rates:
    tasks: int
    passed: float  # tasks counted as passed at pass@1, summed (fractional with repeats)
    pass_at_1: float
    pass_at_k: float


def rates(summaries: Sequence[TaskSummary], k: int) -> Rates:
    counted = [s for s in summaries if not s.skipped]
    if not counted:
        return Rates(0, 0.0, 0.0, 0.0)
    at_1 = [s.rate(1) for s in counted]
    return Rates(len(counted), sum(at_1), mean(at_1), mean(s.rate(k) for s in counted))


@dataclass
class Report:
    run_id: str
    model: str
    repeat: int
    seconds: float
    summaries: list[TaskSummary]
    machine: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, tasks: Sequence[Task], attempts: Sequence[Attempt], **fields: Any) -> Report:
        by_task: dict[str, list[Attempt]] = {t.id: [] for t in tasks}
        for attempt in attempts:
            by_task.setdefault(attempt.task_id, []).append(attempt)
        summaries = [TaskSummary(t, by_task[t.id]) for t in tasks if by_task[t.id]]
        return cls(summaries=summaries, **fields)

    @property
    def overall(self) -> Rates:
        return rates(self.summaries, self.repeat)

    def categories(self) -> dict[str, Rates]:
        names = sorted({s.task.category for s in self.summaries})
        return {
            name: rates([s for s in self.summaries if s.task.category == name], self.repeat)
            for name in names
        }

    def totals(self) -> dict[str, float]:
        return {
            name: sum(float(getattr(a, name)) for s in self.summaries for a in s.attempts)
            for name in METRICS
        }

    def failing(self) -> list[TaskSummary]:
        return [s for s in self.summaries if not s.skipped and s.passes < len(s.attempts)]

    def skipped(self) -> list[TaskSummary]:
        return [s for s in self.summaries if s.skipped]

    # --- outputs --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        overall = self.overall
        return {
            "run_id": self.run_id,
            "model": self.model,
            "repeat": self.repeat,
            "seconds": round(self.seconds, 2),
            "machine": self.machine,
            "overall": {**overall.__dict__, "k": self.repeat, **self.totals()},
            "categories": {name: r.__dict__ for name, r in self.categories().items()},
            "tasks": [
                {
                    "id": s.task.id,
                    "category": s.task.category,
                    "difficulty": s.task.difficulty,
                    "style": s.task.style,
                    "skipped": s.skipped,
                    "pass_at_1": None if s.skipped else s.rate(1),
                    "pass_at_k": None if s.skipped else s.rate(self.repeat),
                    **{name: round(s.metric(name), 3) for name in METRICS},
                    "attempts": [a.public() for a in s.attempts],
                }
                for s in self.summaries
            ],
        }

    def to_markdown(self) -> str:
        k, overall, totals = self.repeat, self.overall, self.totals()
        at_k = k > 1  # a pass@k column only when there were repeats

        def rate(value: float, skipped: bool = False) -> str:
            return "skip" if skipped else f"{value:.0%}"

        lines = [
            f"## docker-bench: {self.model}",
            "",
            f"{overall.tasks} tasks (+{len(self.skipped())} skipped), {k} attempt(s) each, "
            f"{self.seconds:.0f} s wall. pass@1 **{overall.pass_at_1:.1%}**"
            + (f", pass@{k} **{overall.pass_at_k:.1%}**" if at_k else "")
            + f". Model calls {totals['model_calls']:.0f}, tokens in/out "
            f"{totals['tokens_in']:.0f}/{totals['tokens_out']:.0f}, "
            f"tool calls {totals['tool_calls']:.0f}.",
            "",
            "| category | tasks | pass@1 |" + (f" pass@{k} |" if at_k else ""),
            "|---|---:|---:|" + ("---:|" if at_k else ""),
        ]
        for name, r in self.categories().items():
            skipped = not r.tasks
            extra = f" {rate(r.pass_at_k, skipped)} |" if at_k else ""
            lines.append(f"| {name} | {r.tasks} | {rate(r.pass_at_1, skipped)} |{extra}")
        lines += [
            "",
            "| task | category | style | pass@1 |"
            + (f" pass@{k} |" if at_k else "")
            + " model calls | tokens in/out | tool calls | seconds | first failure |",
            "|---|---|---|---:|" + ("---:|" if at_k else "") + "---:|---:|---:|---:|---|",
        ]
        for s in self.summaries:
            extra = f" {rate(s.rate(k), s.skipped)} |" if at_k else ""
            reason = s.reason.replace("|", "\\|").replace("\n", " ")[:160]
            lines.append(
                f"| {s.task.id} | {s.task.category} | {s.task.style} "
                f"| {rate(s.rate(1), s.skipped)} |{extra} {s.metric('model_calls'):.1f} "
                f"| {s.metric('tokens_in'):.0f}/{s.metric('tokens_out'):.0f} "
                f"| {s.metric('tool_calls'):.1f} | {s.metric('wall_seconds'):.1f} | {reason} |"
            )
        if self.machine:
            shown = ", ".join(f"{key} {value}" for key, value in self.machine.items())
            lines += ["", f"Machine: {shown}."]
        return "\n".join(lines) + "\n"


def machine_info(docker_version: str) -> dict[str, Any]:
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "docker": docker_version,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }
