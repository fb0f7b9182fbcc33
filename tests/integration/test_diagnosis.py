"""Diagnosis on the real engine: each situation gets a short, correct likely cause."""

from __future__ import annotations

import time

import docker
import pytest

from tests.integration.conftest import free_port
from tools.catalogue.diagnosis import diagnose as diagnose_state

pytestmark = pytest.mark.integration


def wait(predicate, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the container never reached the expected state")


def exited(container) -> bool:
    container.reload()
    return container.status in ("exited", "dead")


def diagnose(gateway, viewer, name: str) -> dict:
    outcome = gateway.call(viewer, "diagnose_container", {"container": name})
    assert outcome.status == "executed", outcome.message
    return outcome.result


def test_an_oom_killed_container_is_named_as_out_of_memory(gateway, make_container, viewer):
    hog = "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo done"
    container = make_container("oom", command=["sh", "-c", hog], mem_limit="24m",
                               memswap_limit="24m")  # fmt: skip
    wait(lambda: exited(container))
    found = diagnose(gateway, viewer, container.name)
    assert found["oom_killed"] is True and found["exit_code"] == 137
    assert "out of memory" in found["likely_cause"]
    assert any("memory limit 24 MiB" in line for line in found["evidence"])
    # asked at once, as a person does after a crash: the engine's events of this very second
    # (the OOM kill, the death) are part of the evidence
    assert any(line.endswith(" oom") for line in found["recent_events"]), found["recent_events"]
    assert any(line.endswith(" die exit 137") for line in found["recent_events"])


def test_an_oom_kill_the_engine_did_not_record_is_named_from_its_oom_event():
    # Seen on the real engine (20.10, cgroup v1): exit 137, OOMKilled false, an "oom" event.
    info = {"Name": "/hog", "State": {"Status": "exited", "ExitCode": 137, "OOMKilled": False},
            "HostConfig": {"Memory": 16 * 2**20}}  # fmt: skip
    found = diagnose_state(
        info, "", ["07:49:30 start", "07:49:30 oom", "07:49:30 die exit 137"], None
    )
    assert found.likely_cause == "it ran out of memory and the kernel killed it (OOM)"
    killed = diagnose_state(
        info, "", ["07:49:30 start", "07:49:31 kill", "07:49:31 die exit 137"], None
    )
    assert killed.likely_cause.startswith("it exited with code 137")  # `docker kill`: no OOM


def test_a_crash_loop_under_a_restart_policy(gateway, make_container, viewer):
    container = make_container("loop", command=["sh", "-c", "echo 'fatal: no config'; exit 3"],
                               restart_policy={"Name": "always"})  # fmt: skip
    wait(lambda: (container.reload() or True) and container.attrs["RestartCount"] >= 3, 60)
    found = diagnose(gateway, viewer, container.name)
    assert "crash loop" in found["likely_cause"] and "code 3" in found["likely_cause"]
    assert any("fatal: no config" in line for line in found["error_lines"])
    assert found["restart_policy"] == "always"


def test_a_failing_health_check_shows_the_probe_output(gateway, make_container, viewer):
    healthcheck = {"test": ["CMD-SHELL", "echo probe says no; exit 1"],
                   "interval": 500_000_000, "retries": 1, "start_period": 0}  # fmt: skip
    container = make_container("unhealthy", healthcheck=healthcheck)

    def unhealthy() -> bool:
        container.reload()
        return container.attrs["State"].get("Health", {}).get("Status") == "unhealthy"

    wait(unhealthy, 30)
    found = diagnose(gateway, viewer, container.name)
    assert found["health"] == "unhealthy" and "health check" in found["likely_cause"]
    assert "probe says no" in found["likely_cause"] or any(
        "probe says no" in line for line in found["evidence"]
    )
    assert found["suggested_call"] == {"tool": "restart_container",
                                       "args": {"container": container.name}}  # fmt: skip


def test_a_command_that_does_not_exist(gateway, make_container, viewer):
    container = make_container("e127", command=["sh", "-c", "no-such-command-here"])
    wait(lambda: exited(container))
    found = diagnose(gateway, viewer, container.name)
    assert found["exit_code"] == 127 and "not found" in found["likely_cause"]


@pytest.mark.parametrize("program", ["appserver", "image-sync"])
def test_a_command_the_engine_could_not_start(gateway, make_container, viewer, program):
    # `docker run IMAGE appserver`: the engine refuses the start, exit 127, and the container
    # stays "created" with the error; it is not "never started", and starting it again would
    # fail the same way. A program whose name has "image" in it is not a missing image.
    container = make_container(f"e127-{program}", command=[program, "--port", "80"],
                               start=False)  # fmt: skip
    with pytest.raises(docker.errors.APIError):
        container.start()
    found = diagnose(gateway, viewer, container.name)
    assert found["state"] == "created" and found["exit_code"] == 127
    assert found["likely_cause"] == "its command was not found in the image (exit 127)"
    assert (
        "state: created, exit code 127 (the command was not found in the image)"
        in found["evidence"]
    )
    assert any(program in line and "not found" in line for line in found["evidence"])
    assert found["suggested_call"] is None


def test_a_port_already_taken(gateway, make_container, viewer, docker_client):
    port = free_port()
    make_container("holder", ports={"8080/tcp": ("127.0.0.1", port)})
    taker = make_container("taker", start=False, ports={"8080/tcp": ("127.0.0.1", port)})
    with pytest.raises(docker.errors.APIError):
        taker.start()
    found = diagnose(gateway, viewer, taker.name)
    assert "port is already taken" in found["likely_cause"]
    # the engine's exit code for a refused start is not the process's (it never ran)
    assert found["evidence"][0].startswith("state: created, exit code ")
    assert found["evidence"][0].endswith("(the engine could not start it)")


def test_find_problems_names_each_container_in_trouble_and_only_those(
    gateway, make_container, viewer
):
    fine = make_container("fine")
    broken = make_container("broken", command=["sh", "-c", "exit 2"])
    never = make_container("never", start=False)
    wait(lambda: exited(broken))
    outcome = gateway.call(viewer, "find_problems", {})
    assert outcome.status == "executed"
    mine = {p["container"]: p for p in outcome.result}
    assert fine.name not in mine
    assert mine[broken.name]["problem"] == "exited with code 2"
    assert mine[never.name]["problem"] == "created but never started"


def test_listing_by_condition(gateway, make_container, viewer):
    broken = make_container("cond-broken", command=["sh", "-c", "exit 4"])
    clean = make_container("cond-clean", command=["sh", "-c", "exit 0"])
    never = make_container("cond-never", start=False)
    wait(lambda: exited(broken) and exited(clean))

    def names(condition: str) -> set[str]:
        outcome = gateway.call(viewer, "list_containers", {"condition": condition})
        assert outcome.status == "executed", outcome.message
        return {c["name"] for c in outcome.result}

    assert broken.name in names("exited_nonzero") and clean.name not in names("exited_nonzero")
    assert never.name in names("never_started") and broken.name not in names("never_started")


def test_stats_of_every_running_container_in_one_call_sorted_with_totals(
    gateway, make_container, viewer
):
    busy = make_container("stats-busy", command=["sh", "-c", "while :; do :; done"])
    idle = make_container("stats-idle")
    outcome = gateway.call(viewer, "container_stats", {"sort_by": "cpu"})
    assert outcome.status == "executed", outcome.message
    rows = outcome.result["containers"]
    names = [r["container"] for r in rows]
    assert busy.name in names and idle.name in names
    assert names.index(busy.name) < names.index(idle.name)
    assert outcome.result["total_memory_usage"] == sum(r["memory_usage"] for r in rows)


def test_disk_usage_adds_up_like_docker_system_df(gateway, viewer):
    outcome = gateway.call(viewer, "disk_usage", {})
    assert outcome.status == "executed", outcome.message
    usage = outcome.result
    assert usage["images"] >= 1 and usage["images_size"] > 0
    assert usage["total_size"] == (usage["images_size"] + usage["containers_size"]
                                   + usage["volumes_size"] + usage["build_cache_size"])  # fmt: skip
    assert 0 <= usage["total_reclaimable"] <= usage["total_size"]
