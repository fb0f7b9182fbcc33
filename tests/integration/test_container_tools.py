"""Read and lifecycle tools on the real engine, always checked against the engine's own state."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import docker
import pytest

from tests.conftest import TEST_IMAGE, restart_count, unique
from tests.integration.conftest import approved, case_labels, new_case

# stdout and stderr lines are not strictly ordered against each other: stderr goes first.
CHATTY = ["sh", "-c", "echo 'warning from stderr' >&2; sleep 0.2; "
          "for i in $(seq 1 300); do echo \"line $i of the log\"; done; "
          "echo 'ERROR disk full'; echo READY; trap 'exit 0' TERM; sleep 600 & wait"]  # fmt: skip


def wait_for_log(client: docker.DockerClient, container_id: str, marker: str) -> None:
    deadline = time.monotonic() + 10
    while marker.encode() not in client.api.logs(container_id):
        assert time.monotonic() < deadline, f"{marker!r} never appeared"
        time.sleep(0.05)


def state(client: docker.DockerClient, container_id: str) -> str:
    return str(client.api.inspect_container(container_id)["State"]["Status"])


# --- hostile names ----------------------------------------------------------------------------

HOSTILE = ["; rm -rf /", "../", "x" * 10_240, "контейнер", "", "$(docker rm -f db)"]
ALL_CONTAINER_TOOLS = [
    ("inspect_container", {}),
    ("container_logs", {}),
    ("container_stats", {}),
    ("start_container", {}),
    ("stop_container", {}),
    ("restart_container", {}),
    ("remove_container", {}),
    ("exec_in_container", {"command": "true"}),
]


@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: repr(n[:12]))
def test_hostile_names_fail_readably_through_every_container_tool(
    gateway, docker_client, admin, name
):
    for tool, extra in ALL_CONTAINER_TOOLS:
        outcome = gateway.call(admin, tool, {"container": name, **extra})
        assert outcome.status == "failed", (tool, outcome.message)
        assert outcome.message.startswith("invalid arguments: container:"), outcome.message
        assert len(outcome.message) < 400
    case = new_case()
    outcome = gateway.call(
        admin, "run_container", {"image": TEST_IMAGE, "name": name, "labels": case_labels(case)}
    )
    assert outcome.status == "failed"
    assert "invalid arguments: name:" in outcome.message
    assert docker_client.api.containers(all=True, filters={"label": f"ddt.case={case}"}) == []
    assert gateway.approvals.list() == []


# --- logs, stats, inspect ---------------------------------------------------------------------


def test_logs_tail_grep_and_since(gateway, make_container, docker_client, viewer):
    container = make_container("logs", command=CHATTY)
    wait_for_log(docker_client, container.id, "READY")

    tail = gateway.call(viewer, "container_logs", {"container": container.name, "tail": 3})
    assert tail.status == "executed"
    assert tail.result["text"].splitlines() == ["line 300 of the log", "ERROR disk full", "READY"]
    assert tail.result["lines"] == 3 and tail.result["truncated"] is False

    grep = gateway.call(
        viewer, "container_logs", {"container": container.name, "tail": 1000, "grep": "error"}
    )
    assert grep.result["text"] == "ERROR disk full" and grep.result["lines"] == 1

    stderr = gateway.call(
        viewer, "container_logs", {"container": container.name, "tail": 1000, "grep": "STDERR"}
    )
    assert stderr.result["text"] == "warning from stderr"

    recent = gateway.call(
        viewer, "container_logs", {"container": container.name, "tail": 1000, "since": "1h"}
    )
    assert recent.result["lines"] == 303
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="seconds")
    nothing = gateway.call(viewer, "container_logs", {"container": container.name, "since": future})
    assert nothing.status == "executed" and nothing.result["lines"] == 0

    bad = gateway.call(viewer, "container_logs", {"container": container.name, "since": "soon"})
    assert bad.status == "failed" and "not a duration" in bad.message


def test_log_output_is_capped_at_output_bytes_max(make_gateway, make_container, docker_client,
                                                  viewer):  # fmt: skip
    gateway = make_gateway(output_bytes_max=1_000)
    container = make_container("loud", command=CHATTY)
    wait_for_log(docker_client, container.id, "READY")

    outcome = gateway.call(viewer, "container_logs", {"container": container.name, "tail": 10_000})

    assert outcome.status == "executed"
    assert outcome.result["truncated"] is True
    assert len(outcome.result["text"].encode()) <= 1_000
    assert outcome.result["text"].endswith("ERROR disk full\nREADY"), "the newest lines are kept"
    assert outcome.result["lines"] == 303


def test_log_tail_is_capped_at_log_tail_max(make_gateway, make_container, docker_client, viewer):
    gateway = make_gateway(log_tail_max=50)
    container = make_container("long", command=CHATTY)
    wait_for_log(docker_client, container.id, "READY")
    outcome = gateway.call(viewer, "container_logs", {"container": container.name, "tail": 10_000})
    assert outcome.result["lines"] == 50 and outcome.result["truncated"] is False
    assert outcome.result["text"].splitlines()[0] == "line 253 of the log"


def test_stats_of_a_running_container(gateway, make_container, viewer):
    container = make_container("stats")
    outcome = gateway.call(viewer, "container_stats", {"container": container.name})
    assert outcome.status == "executed", outcome.message
    stats = outcome.result
    assert stats["container"] == container.name
    assert stats["memory_usage"] > 0 and stats["memory_limit"] > 0
    assert stats["pids"] >= 2  # sh and sleep
    assert stats["cpu_percent"] >= 0


def test_inspect_redacts_secrets(gateway, make_container, viewer):
    container = make_container(
        "inspect",
        environment={"DB_PASSWORD": "hunter2", "API_TOKEN": "t0k", "MODE": "prod"},
        ports={"80/tcp": None},
    )
    outcome = gateway.call(viewer, "inspect_container", {"container": container.name})
    detail = outcome.result
    assert detail["full_id"] == container.id and detail["state"] == "running"
    assert {"DB_PASSWORD=***", "API_TOKEN=***", "MODE=prod"} <= set(detail["env"])
    assert "hunter2" not in str(detail) and "t0k" not in str(detail)
    assert detail["ports"] and detail["ports"][0].endswith("->80/tcp")


# --- exec -------------------------------------------------------------------------------------


def test_exec_returns_output_and_exit_code_after_approval(gateway, make_container, admin,
                                                          docker_client):  # fmt: skip
    container = make_container("exec")
    outcome = approved(
        gateway, admin, "exec_in_container",
        {"container": container.name, "command": "sh -c 'echo out; echo err >&2; "
                                                 "touch /marker; exit 3'"},
    )  # fmt: skip
    assert outcome.status == "executed"
    assert outcome.result["exit_code"] == 3 and outcome.result["ok"] is False
    assert sorted(outcome.result["output"].split()) == ["err", "out"]
    check = docker_client.api.exec_create(container.id, ["test", "-f", "/marker"])
    docker_client.api.exec_start(check["Id"])
    assert docker_client.api.exec_inspect(check["Id"])["ExitCode"] == 0, "the command really ran"


def test_exec_needs_admin_and_a_running_container(gateway, make_container, operator, admin):
    container = make_container("exec2")
    denied = gateway.call(operator, "exec_in_container",
                          {"container": container.name, "command": "true"})  # fmt: skip
    assert denied.status == "denied" and "needs admin" in denied.message
    stopped = make_container("exec3", start=False)
    refused = gateway.call(admin, "exec_in_container",
                           {"container": stopped.name, "command": "true"})  # fmt: skip
    assert refused.status == "failed" and "exec needs it running" in refused.message


# --- lifecycle with approvals -----------------------------------------------------------------


def test_stop_start_restart_remove_with_approvals(gateway, make_container, docker_client, admin):
    container = make_container("life")
    name = container.name

    pending = gateway.call(admin, "stop_container", {"container": name, "timeout": 1})
    assert pending.status == "pending_approval"
    assert pending.approval["command"] == f"docker stop -t 1 {name}"
    assert state(docker_client, container.id) == "running", "nothing runs before approval"
    stopped = gateway.decide(pending.approval["id"], admin, approve=True)
    assert stopped.status == "executed" and stopped.result["state"] == "exited"
    assert state(docker_client, container.id) == "exited"

    started = approved(gateway, admin, "start_container", {"container": name})
    assert started.status == "executed"
    assert state(docker_client, container.id) == "running"

    before = restart_count(docker_client, container.id)
    restarted = approved(gateway, admin, "restart_container", {"container": name, "timeout": 1})
    assert restarted.status == "executed"
    assert restart_count(docker_client, container.id) != before
    assert state(docker_client, container.id) == "running"

    removed = approved(gateway, admin, "remove_container", {"container": name, "force": True})
    assert removed.status == "executed"
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(container.id)


def test_removing_a_stopped_container(gateway, make_container, docker_client, admin):
    container = make_container("rm", start=False)
    outcome = approved(gateway, admin, "remove_container", {"container": container.name})
    assert outcome.status == "executed"
    with pytest.raises(docker.errors.NotFound):
        docker_client.api.inspect_container(container.id)


def test_removing_a_running_container_without_force_is_a_clear_conflict(
    gateway, make_container, docker_client, admin
):
    container = make_container("busy")
    outcome = gateway.call(admin, "remove_container", {"container": container.name})
    assert outcome.status == "failed"
    assert outcome.error_code == "conflict"
    assert outcome.message == (
        f"{container.name} is running; stop it first or remove with force=true"
    )
    assert state(docker_client, container.id) == "running"
    assert gateway.approvals.list() == []


def test_operator_may_change_but_not_destroy(gateway, make_container, operator):
    container = make_container("op", start=False)
    assert gateway.call(operator, "start_container", {"container": container.name}).status == (
        "pending_approval"
    )
    removal = gateway.call(operator, "remove_container", {"container": container.name})
    assert removal.status == "denied"
    assert "role operator may not run remove_container" in removal.message


def test_run_container_name_can_be_reused_after_removal(gateway, docker_client, admin,
                                                        cleanup_names):  # fmt: skip
    name, case = unique("again"), new_case()
    cleanup_names.append(name)
    args = {"image": TEST_IMAGE, "name": name, "labels": case_labels(case),
            "command": ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]}  # fmt: skip
    assert approved(gateway, admin, "run_container", args).status == "executed"
    assert (
        approved(gateway, admin, "remove_container", {"container": name, "force": True}).status
        == "executed"
    )
    assert approved(gateway, admin, "run_container", args).status == "executed"
    assert docker_client.api.inspect_container(name)["State"]["Running"]


def test_exec_that_hangs_stops_waiting_at_its_timeout(gateway, make_container, admin):
    import time

    container = make_container("exec-hang")
    outcome = gateway.call(
        admin,
        "exec_in_container",
        {"container": container.name, "command": "sh -c 'echo started; sleep 30'", "timeout": 2},
    )
    started = time.monotonic()
    done = gateway.decide(outcome.approval["id"], admin, approve=True)
    assert time.monotonic() - started < 10
    assert done.status == "executed"
    assert done.result["exit_code"] is None and "still running after 2s" in done.result["message"]
    assert "started" in done.result["output"]
