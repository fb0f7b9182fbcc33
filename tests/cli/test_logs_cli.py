"""`dockerdeployer logs` as a user runs it: a real process against the real engine."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_chat_cli import run_cli

pytestmark = pytest.mark.integration

TICKER = ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]


def test_logs_prints_the_tail(tmp_path, make_container):
    container = make_container("cli-logs", command=["sh", "-c", "echo one; echo two; sleep 600"])
    done = run_cli(tmp_path, "logs", container.name, "--tail", "1")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1:] == ["two"]


def test_follow_streams_new_lines_until_its_time(tmp_path, make_container):
    container = make_container("cli-follow", command=TICKER)
    done = run_cli(tmp_path, "logs", container.name, "-f", "--for", "2", "-n", "1", "--json")

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line)["line"] for line in done.stdout.splitlines()]
    numbers = [int(line.split()[1]) for line in lines]
    assert len(numbers) >= 4 and numbers == sorted(numbers)


def test_an_unknown_container_is_one_readable_error(tmp_path):
    done = run_cli(tmp_path, "logs", "ddt-no-such-container-cli", "--follow")

    assert done.returncode == 1
    assert "No container named" in done.stderr and "Traceback" not in done.stderr
