"""Several Docker hosts on real engines: the main engine ("local") and a second one ("host2") in
its own network namespace (tests/second_engine.py), configured as settings `hosts`.

Listing answers for every host with the host on each row; a write must say (or unambiguously
resolve) its host; a host that goes down is named while the others still answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import docker
import pytest

from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tests.conftest import RUN_ID, SLEEPER, TEST_IMAGE, TEST_LABEL, restart_count, unique
from tools.gateway import ToolGateway

if TYPE_CHECKING:
    from tests.second_engine import SecondEngine

pytest_plugins = ["tests.second_engine"]

MAIN_URL = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def multi_host_gateway(home: Any, **hosts: str) -> ToolGateway:
    settings = Settings(
        home=home, _env_file=None, hosts=[f"{name}={url}" for name, url in hosts.items()]
    )
    return build_gateway(settings)


@pytest.fixture
def two_hosts(home, second_engine: SecondEngine) -> ToolGateway:
    return multi_host_gateway(home, local=MAIN_URL, host2=second_engine.url)


def _make_on(engine: SecondEngine, created: list[tuple[SecondEngine, str]]) -> Callable[..., Any]:
    def factory(name: str) -> Any:
        container = engine.client.containers.run(
            TEST_IMAGE, SLEEPER, name=name, labels={TEST_LABEL: RUN_ID}, detach=True
        )
        created.append((engine, container.id))
        return container

    return factory


@pytest.fixture
def containers_on(second_engine: SecondEngine) -> Iterator[Callable[..., Callable[..., Any]]]:
    """`containers_on(engine)(name)`: a labelled running container on a second engine."""
    created: list[tuple[SecondEngine, str]] = []
    yield lambda engine=second_engine: _make_on(engine, created)
    for engine, container_id in created:
        try:
            engine.client.api.remove_container(container_id, force=True)
        except (docker.errors.NotFound, RuntimeError):
            pass  # gone, or its engine was stopped (and is destroyed with its data)


def rows(outcome: Any) -> set[tuple[str, str]]:
    assert outcome.status == "executed", outcome.message
    return {(row["name"], row["host"]) for row in outcome.result}


def test_list_containers_on_all_hosts_shows_each_rows_host(
    two_hosts, make_container, containers_on, viewer
):
    prefix = unique("mh")
    make_container(name=f"{prefix}-a")
    containers_on()(f"{prefix}-b")
    expected = {(f"{prefix}-a", "local"), (f"{prefix}-b", "host2")}

    everywhere = two_hosts.call(viewer, "list_containers", {"name": prefix})
    assert rows(everywhere) == expected
    assert everywhere.message == "done"
    assert rows(two_hosts.call(viewer, "list_containers", {"name": prefix, "host": "all"})) == (
        expected
    )
    only = two_hosts.call(viewer, "list_containers", {"name": prefix, "host": "host2"})
    assert rows(only) == {(f"{prefix}-b", "host2")}


def test_which_host_runs_a_container(two_hosts, make_container, containers_on, viewer):
    name = unique("where")
    make_container(name=f"{name}-elsewhere")  # a near name on the other host
    containers_on()(name)
    found = two_hosts.call(viewer, "list_containers", {"name": name})
    assert (name, "host2") in rows(found)
    assert (name, "local") not in rows(found)

    inspected = two_hosts.call(viewer, "inspect_container", {"container": name})
    assert inspected.status == "executed", inspected.message
    assert inspected.result["host"] == "host2"


def test_a_name_on_both_hosts_asks_which_and_a_named_host_acts_there_only(
    two_hosts, make_container, containers_on, docker_client, second_engine, operator, admin
):
    name = unique("twin")
    here = make_container(name=name)
    there = containers_on()(name)

    ambiguous = two_hosts.call(operator, "restart_container", {"container": name})
    assert ambiguous.status == "failed"
    assert ambiguous.error_code == "invalid_arguments"
    assert ambiguous.message == f"{name!r} exists on hosts local, host2; say which host"

    here_before = restart_count(docker_client, here.id)
    there_before = restart_count(second_engine.client, there.id)
    proposal = two_hosts.call(
        operator, "restart_container", {"container": name, "host": "host2", "timeout": 1}
    )
    assert proposal.status == "pending_approval", proposal.message
    assert proposal.approval is not None and proposal.approval["host"] == "host2"
    assert proposal.preview["targets"][0]["id"] == there.id
    done = two_hosts.decide(proposal.approval["id"], admin, approve=True)
    assert done.status == "executed", done.message

    assert restart_count(second_engine.client, there.id) != there_before
    assert restart_count(docker_client, here.id) == here_before
    audit = [e for e in two_hosts.audit.query(approval_id=proposal.approval["id"])]
    assert {e.host for e in audit} == {"host2"}


def test_a_change_without_a_container_must_name_its_host(two_hosts, operator):
    for tool, args in [
        ("pull_image", {"image": TEST_IMAGE}),
        ("run_container", {"image": TEST_IMAGE}),
    ]:
        outcome = two_hosts.call(operator, tool, args)
        assert outcome.status == "failed", tool
        assert outcome.message == f"{tool} needs a host: one of local, host2"
    # Swarm tools go to the one swarm manager (host2 here) without being told.
    scaled = two_hosts.call(operator, "scale_service", {"service": "web", "replicas": 2})
    assert scaled.message == "No swarm service named 'web'."
    assert two_hosts.audit.query(tool="scale_service", limit=1)[0].host == "host2"

    unknown = two_hosts.call(operator, "pull_image", {"image": TEST_IMAGE, "host": "host9"})
    assert unknown.message == "unknown host 'host9'; configured hosts: local, host2"


def test_swarm_tools_act_on_the_named_manager_host(two_hosts, second_engine, admin, viewer):
    client = second_engine.client
    name = unique("mhsvc")
    service = client.services.create(
        TEST_IMAGE,
        SLEEPER,
        name=name,
        labels={TEST_LABEL: RUN_ID},
        mode={"Replicated": {"Replicas": 1}},
    )
    try:
        listed = two_hosts.call(viewer, "list_services", {"host": "host2"})
        assert (name, "host2") in rows(listed)
        proposal = two_hosts.call(
            admin, "scale_service", {"service": name, "replicas": 0, "host": "host2"}
        )
        assert proposal.status == "pending_approval", proposal.message
        assert proposal.approval is not None
        assert two_hosts.decide(proposal.approval["id"], admin, approve=True).status == "executed"
        spec = client.api.inspect_service(service.id)["Spec"]
        assert spec["Mode"]["Replicated"]["Replicas"] == 0
    finally:
        service.remove()


def test_a_host_down_mid_test_is_named_and_the_others_still_answer(
    home, spare_engine, make_container, containers_on, viewer, operator
):
    gateway = multi_host_gateway(home, local=MAIN_URL, host3=spare_engine.url)
    prefix = unique("down")
    make_container(name=f"{prefix}-a")
    containers_on(spare_engine)(f"{prefix}-c")
    assert rows(gateway.call(viewer, "list_containers", {"name": prefix})) == {
        (f"{prefix}-a", "local"),
        (f"{prefix}-c", "host3"),
    }

    spare_engine.stop()  # the host goes down mid-session

    listed = gateway.call(viewer, "list_containers", {"name": prefix})
    assert rows(listed) == {(f"{prefix}-a", "local")}
    assert listed.message.startswith("some hosts did not answer: host3: ")
    assert spare_engine.socket in listed.message

    named = gateway.call(
        operator, "restart_container", {"container": f"{prefix}-c", "host": "host3"}
    )
    assert named.status == "failed"
    assert named.error_code == "engine_unavailable"
    assert spare_engine.socket in named.message and "not running" in named.message

    # Without a host, the down host is not taken for "no such container" ...
    unnamed = gateway.call(operator, "restart_container", {"container": f"{prefix}-c"})
    assert unnamed.status == "failed"
    assert unnamed.error_code == "engine_unavailable"
    assert "host3" in unnamed.message and "did not answer" in unnamed.message
    # ... nor is a container found on the live host taken to be the only one of its name.
    live = gateway.call(operator, "restart_container", {"container": f"{prefix}-a"})
    assert live.status == "failed"
    assert "host3" in live.message and "name the host" in live.message
    # Reads of what is on a live host still answer.
    read = gateway.call(viewer, "inspect_container", {"container": f"{prefix}-a"})
    assert read.status == "executed", read.message
    assert read.result["host"] == "local"
