"""The diagnosis scenarios, set up on the real engine: each is in the state its task claims
(an OOM kill, a crash loop, an unhealthy check with probe output, a refused start, a held port),
and cleanup leaves nothing behind."""

from __future__ import annotations

import socket

import docker
import pytest

from dockerdeployer.bench.fixtures import Fixtures, SetupError
from dockerdeployer.bench.loader import parse_task
from dockerdeployer.bench.scope import BENCH_LABEL, TaskScope

pytestmark = pytest.mark.integration

SCENARIOS = """
id = "scenarios"
category = "diagnose"
description = "every diagnosis fixture at once"

[setup]
held_ports = ["{port2}"]

[[setup.containers]]
name = "hog"
kind = "exiter"
memory = "16m"
command = ["sh", "-c", "exec tail /dev/zero"]

[[setup.containers]]
name = "loop"
kind = "exiter"
lines = ["fatal: no config"]
restart_policy = "always"
restarts = 3

[[setup.containers]]
name = "sick"
healthcheck = { command = "nc -w 1 127.0.0.1 8080 </dev/null", interval = 0.5, retries = 1 }

[[setup.containers]]
name = "nocmd"
state = "start-failed"
command = ["appserver", "--port", "80"]

[[setup.containers]]
name = "holder"
kind = "httpd"
ports = { "80" = "{port}" }

[[setup.containers]]
name = "taker"
kind = "httpd"
ports = { "80" = "{port}" }
state = "start-failed"

[[turns]]
say = "what's wrong?"

[verify]
changes = 0
"""


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_each_scenario_is_what_its_task_says_and_cleanup_removes_it(
    docker_client: docker.DockerClient, test_image: str
) -> None:
    task = parse_task(SCENARIOS, "scenarios.toml")
    fixtures = Fixtures(docker_client.api)
    scope = TaskScope.create(task, "dgnzx", index=92, attempt=0)
    inspect = docker_client.api.inspect_container
    try:
        fixtures.set_up(scope)
        hog = inspect(scope.container_ids["hog"])
        assert hog["State"]["Status"] == "exited" and hog["State"]["ExitCode"] == 137
        assert hog["HostConfig"]["Memory"] == hog["HostConfig"]["MemorySwap"] == 16 * 2**20
        assert hog["Config"]["Labels"][BENCH_LABEL] == "dgnzx"
        loop = inspect(scope.container_ids["loop"])
        assert loop["RestartCount"] >= 3 and loop["HostConfig"]["RestartPolicy"]["Name"] == "always"
        health = inspect(scope.container_ids["sick"])["State"]["Health"]
        assert health["Status"] == "unhealthy"
        assert "Connection refused" in health["Log"][-1]["Output"]
        nocmd = inspect(scope.container_ids["nocmd"])["State"]
        assert (nocmd["Status"], nocmd["ExitCode"]) == ("created", 127)
        assert "executable file not found" in nocmd["Error"]
        taker = inspect(scope.container_ids["taker"])["State"]
        assert taker["Status"] == "created" and "port is already allocated" in taker["Error"]
        assert not port_free(scope.ports["port2"])  # held, as by a process outside Docker
    finally:
        problems = fixtures.clean_up(scope)
    assert problems == []
    assert fixtures.names_with_prefix(scope.prefix + "-") == {}
    assert port_free(scope.ports["port2"])


def test_a_start_that_was_expected_to_fail_but_did_not_is_a_setup_error(
    docker_client: docker.DockerClient, test_image: str
) -> None:
    text = SCENARIOS.split("[[setup.containers]]")[0] + (
        '[[setup.containers]]\nname = "fine"\nstate = "start-failed"\n\n'
        '[[turns]]\nsay = "x"\n\n[verify]\nchanges = 0\n'
    )
    task = parse_task(text, "scenarios.toml")
    fixtures = Fixtures(docker_client.api)
    scope = TaskScope.create(task, "dgnzx", index=93, attempt=0)
    try:
        with pytest.raises(SetupError, match="fine was expected not to start"):
            fixtures.set_up(scope)
    finally:
        assert fixtures.clean_up(scope) == []
