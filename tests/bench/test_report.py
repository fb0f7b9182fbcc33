"""Reports: pass@1 and pass@k per task, per category and overall; skipped tasks count nowhere."""

from __future__ import annotations

from dockerdeployer.bench.attempt import Attempt
from dockerdeployer.bench.loader import load_tasks
from dockerdeployer.bench.report import Report


def report() -> Report:
    tasks = [t for t in load_tasks() if t.id in ("restart-by-name", "logs-tail", "list-services")]
    attempts = [
        Attempt("restart-by-name", "lifecycle", 0, "pass", model_calls=2, tool_calls=1),
        Attempt("restart-by-name", "lifecycle", 1, "fail", ["web was not restarted"]),
        Attempt("logs-tail", "read", 0, "fail", ["expected an executed container_logs"]),
        Attempt("logs-tail", "read", 1, "fail", ["expected an executed container_logs"]),
        Attempt("list-services", "swarm", 0, "skip", ["skipped: no swarm"]),
        Attempt("list-services", "swarm", 1, "skip", ["skipped: no swarm"]),
    ]
    return Report.build(tasks, attempts, run_id="r", model="m", repeat=2, seconds=3.0)


def test_rates_per_task_category_and_overall() -> None:
    built = report()
    assert (built.overall.tasks, built.overall.pass_at_1, built.overall.pass_at_k) == (
        2, 0.25, 0.5
    )  # fmt: skip
    categories = built.categories()
    assert categories["lifecycle"].pass_at_1 == 0.5 and categories["lifecycle"].pass_at_k == 1.0
    assert categories["swarm"].tasks == 0
    assert {s.task.id for s in built.failing()} == {"logs-tail", "restart-by-name"}
    assert [s.task.id for s in built.skipped()] == ["list-services"]


def test_json_and_markdown_carry_the_same_numbers() -> None:
    built = report()
    data = built.to_json()
    assert data["overall"]["pass_at_1"] == 0.25 and data["overall"]["model_calls"] == 2
    by_id = {t["id"]: t for t in data["tasks"]}
    assert by_id["list-services"]["pass_at_1"] is None and by_id["list-services"]["skipped"]
    text = built.to_markdown()
    assert "pass@1 **25.0%**, pass@2 **50.0%**" in text
    assert "| restart-by-name | lifecycle | plain | 50% | 100% |" in text
    assert "| swarm | 0 | skip | skip |" in text
