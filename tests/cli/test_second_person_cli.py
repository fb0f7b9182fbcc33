"""`--yes` approves as the invoking user, except where a second person must approve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import restart_count

pytestmark = pytest.mark.integration


def run_cli(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerdeployer.cli", *args],
        env={**os.environ, "DOCKERDEPLOYER_HOME": str(home), **env},
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_yes_cannot_approve_your_own_change_when_a_second_person_is_required(
    tmp_path, make_container, docker_client
):
    container = make_container("cli-2p")
    before = restart_count(docker_client, container.id)
    done = run_cli(
        tmp_path, "chat", "--json", "--yes", f"restart {container.name}",
        DOCKERDEPLOYER_SECOND_PERSON="change",
    )  # fmt: skip

    assert done.returncode == 3, done.stderr
    out = json.loads(done.stdout)
    assert [c["status"] for c in out["tool_calls"]] == ["pending_approval"]
    assert restart_count(docker_client, container.id) == before
    assert out["approvals"][0]["status"] == "pending"
