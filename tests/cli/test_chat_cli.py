"""`dockerdeployer chat` as a user runs it: a real process, no terminal, no model configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import restart_count


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKERDEPLOYER_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "dockerdeployer.cli", *args],
        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_list_running_containers_json_with_no_model(tmp_path, make_container):
    container = make_container("cli-list")
    done = run_cli(tmp_path, "chat", "--json", "list running containers")

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) >= {"reply", "tool_calls", "approvals"}
    [call] = out["tool_calls"]
    assert (call["tool"], call["status"]) == ("list_containers", "executed")
    assert container.name in {c["name"] for c in call["result"]}
    assert container.name in out["reply"]


def test_change_without_terminal_exits_3_and_changes_nothing(
    tmp_path, make_container, docker_client
):
    container = make_container("cli-pending")
    before = restart_count(docker_client, container.id)
    done = run_cli(tmp_path, "chat", "--json", f"restart {container.name}")

    assert done.returncode == 3, done.stderr
    out = json.loads(done.stdout)
    assert [c["status"] for c in out["tool_calls"]] == ["pending_approval"]
    assert out["approvals"][0]["command"].startswith("docker restart")
    assert restart_count(docker_client, container.id) == before


def test_yes_approves_as_the_invoking_user(tmp_path, make_container, docker_client):
    container = make_container("cli-yes")
    before = restart_count(docker_client, container.id)
    done = run_cli(tmp_path, "chat", "--json", "--yes", f"restart {container.name}")

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [c["status"] for c in out["tool_calls"]] == ["executed"]
    assert out["approvals"] == []
    assert restart_count(docker_client, container.id) != before


def test_dry_run_plans_and_changes_nothing(tmp_path, make_container, docker_client):
    container = make_container("cli-dry")
    done = run_cli(tmp_path, "chat", "--json", "--dry-run", f"stop {container.name}")

    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert [c["status"] for c in out["tool_calls"]] == ["planned"]
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]


def test_hard_denial_holds_even_with_yes(tmp_path, docker_client, test_image):
    done = run_cli(
        tmp_path, "chat", "--json", "--yes", f"run a privileged {test_image} container"
    )
    out = json.loads(done.stdout)
    assert [c["status"] for c in out["tool_calls"]] == ["denied"]
    assert "privileged" in out["tool_calls"][0]["message"]


def test_unknown_request_is_honest(tmp_path):
    done = run_cli(tmp_path, "chat", "make me a sandwich")
    assert done.returncode == 0
    assert "didn't understand" in done.stdout.lower() or "not understand" in done.stdout.lower()


@pytest.mark.integration  # `doctor` reaches the real engine (no fixture: a subprocess)
def test_doctor_exit_codes(tmp_path):
    assert run_cli(tmp_path, "doctor").returncode == 0
    missing = subprocess.run(
        [sys.executable, "-m", "dockerdeployer.cli", "doctor"],
        env={**os.environ, "DOCKERDEPLOYER_HOME": str(tmp_path),
             "DOCKERDEPLOYER_DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 1
    assert "fix" in missing.stdout
