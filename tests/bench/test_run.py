"""A few quick tasks through the real runner on the real engine, and the CLI around it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
from typer.testing import CliRunner

from dockerdeployer.bench.fixtures import Fixtures
from dockerdeployer.bench.harness import ModelChoice, open_runner
from dockerdeployer.bench.loader import load_tasks, parse_task
from dockerdeployer.bench.runner import Runner
from dockerdeployer.bench.scope import BENCH_LABEL, TaskScope
from dockerdeployer.bench.verify import Evidence, check_restarted
from dockerdeployer.cli import app
from tools.engine import Engine

pytestmark = pytest.mark.integration

QUICK = ("restart-by-name", "two-webs", "privileged", "restart-rejected", "logs-tail", "project-up")

WRONG = """
id = "wrong-expectation"
category = "lifecycle"
description = "Asks for a restart but expects a stop: the verifier must catch it."

[[setup.containers]]
name = "web"

[[turns]]
say = "restart {web}"
approval = "approve"

[verify]
stopped = ["web"]
"""


@pytest.fixture(scope="module")
def runner(docker_client: docker.DockerClient, test_image: str) -> Iterator[Runner]:
    with open_runner(ModelChoice(), Engine.from_client(docker_client)) as bench:
        yield bench


def leftovers(client: docker.DockerClient, run_id: str) -> list[str]:
    mine = {"label": f"{BENCH_LABEL}={run_id}"}
    found = [c["Names"][0] for c in client.api.containers(all=True, filters=mine)]
    return found + [n["Name"] for n in client.api.networks(filters=mine)]


def test_quick_tasks_pass_and_leave_nothing_behind(
    runner: Runner, docker_client: docker.DockerClient
) -> None:
    tasks = [t for t in load_tasks() if t.id in QUICK]
    assert len(tasks) == len(QUICK)
    attempts = runner.run(tasks)
    failed = {a.task_id: a.failures for a in attempts if a.status != "pass"}
    assert failed == {}
    by_id = {a.task_id: a for a in attempts}
    assert by_id["restart-by-name"].calls == ["restart_container:executed"]
    assert by_id["restart-rejected"].calls == ["restart_container:rejected"]
    assert by_id["two-webs"].calls == []  # asked which one; called nothing
    assert by_id["restart-by-name"].model_calls >= 1 and by_id["restart-by-name"].tokens_in == 0
    assert leftovers(docker_client, runner.run_id) == []


def test_a_wrong_outcome_fails_the_task(runner: Runner) -> None:
    attempt = runner.run_task(parse_task(WRONG, "wrong-expectation.toml"), index=90)
    assert attempt.status == "fail"
    assert any("web should be stopped, is running" in f for f in attempt.failures)
    assert any("bench rejected a proposal the task does not call for" in f
               for f in attempt.failures)  # fmt: skip


def test_the_restart_verifier_fails_on_a_real_container_that_was_not_restarted(
    docker_client: docker.DockerClient, test_image: str
) -> None:
    task = parse_task(WRONG.replace('stopped = ["web"]', 'restarted = ["web"]'), "x.toml")
    fixtures = Fixtures(docker_client.api)
    scope = TaskScope.create(task, "vrfyz", index=91, attempt=0)
    try:
        fixtures.set_up(scope)
        before = fixtures.snapshot(scope)
        untouched = Evidence(scope, fixtures, before, fixtures.snapshot(scope))
        assert check_restarted(task.verify, untouched) == [
            "web was not restarted (StartedAt unchanged)",
            "web should be restarted exactly once; audit shows 0",
        ]
        docker_client.api.restart(scope.container_ids["web"], timeout=1)  # not by the assistant
        outside = Evidence(scope, fixtures, before, fixtures.snapshot(scope))
        assert check_restarted(task.verify, outside) == [
            "web should be restarted exactly once; audit shows 0"
        ]
    finally:
        fixtures.clean_up(scope)
    assert fixtures.state(scope.full("web")) is None


def test_cli_exit_code_follows_min_pass_and_writes_reports(tmp_path: Path, test_image: str) -> None:
    tasks = tmp_path / "tasks" / "lifecycle"
    tasks.mkdir(parents=True)
    (tasks / "wrong-expectation.toml").write_text(WRONG)
    out_json, out_md = tmp_path / "bench.json", tmp_path / "bench.md"
    args = ["bench", "--tasks-dir", str(tmp_path / "tasks"), "--json", str(out_json),
            "--markdown", str(out_md)]  # fmt: skip
    below = CliRunner().invoke(app, [*args, "--min-pass", "0.5"])
    assert below.exit_code == 1, below.output
    assert "FAIL wrong-expectation" in below.output
    report: dict[str, Any] = json.loads(out_json.read_text())
    assert report["overall"]["pass_at_1"] == 0.0 and report["overall"]["tasks"] == 1
    assert report["tasks"][0]["attempts"][0]["status"] == "fail"
    assert "| wrong-expectation | lifecycle |" in out_md.read_text()
    at_zero = CliRunner().invoke(app, [*args, "--min-pass", "0"])
    assert at_zero.exit_code == 0, at_zero.output


def test_cli_rejects_a_malformed_task_directory(tmp_path: Path) -> None:
    bad = tmp_path / "lifecycle"
    bad.mkdir()
    (bad / "bad.toml").write_text('id = "bad"\n')
    result = CliRunner().invoke(app, ["bench", "--tasks-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.toml: invalid task:" in result.output
    assert "category: Field required" in result.output
