"""Swarm services on a real engine in swarm mode: list, scale, update, rollback, restart, logs.

The swarm is a second engine these tests start in their own network namespace
(tests/second_engine.py); the main engine is never put into swarm mode. Every service is
labelled with the run id and removed after its test. Convergence is polled, never slept for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import docker
import pytest
from docker.types import ContainerSpec, RollbackConfig, ServiceMode, TaskTemplate, UpdateConfig

from dockerdeployer.wiring import build_gateway
from tests.conftest import RUN_ID, SLEEPER, TEST_IMAGE, TEST_LABEL, unique
from tests.integration.conftest import count_engine_requests
from tools.engine import Engine
from tools.errors import ApprovalTargetChanged
from tools.gateway import CallOutcome, ToolGateway
from tools.guard.policy import Actor

if TYPE_CHECKING:
    from tests.second_engine import SecondEngine

pytest_plugins = ["tests.second_engine"]
# Slow tier (`make test-all`): every test waits for the swarm to converge on a second engine.
pytestmark = pytest.mark.slow

CONVERGE_SECONDS = 60.0
FAST_ROLLOUT = 1_000_000_000  # 1 s monitor; every task replaced at once


def eventually(check: Callable[[], Any], what: str, timeout: float = CONVERGE_SECONDS) -> Any:
    """Poll `check` until it returns something truthy; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {timeout:.0f} s (last: {last!r})")


def running_tasks(client: docker.DockerClient, service_id: str) -> list[dict[str, Any]]:
    tasks = client.api.tasks(filters={"service": service_id, "desired-state": "running"})
    return [t for t in tasks if t["Status"]["State"] == "running"]


def converged(
    client: docker.DockerClient, service_id: str, replicas: int, image: str | None = None
) -> list[dict[str, Any]] | None:
    """The running tasks when there are exactly `replicas`, all of `image` (when given)."""
    tasks = running_tasks(client, service_id)
    if len(tasks) != replicas:
        return None
    if image and any(t["Spec"]["ContainerSpec"]["Image"].split("@")[0] != image for t in tasks):
        return None
    return tasks or [{}]  # zero replicas converged is still truthy


def container_image_ids(engine: SecondEngine, tasks: list[dict[str, Any]]) -> set[str]:
    """The image each task's container really runs (not only what its spec says)."""
    return {
        engine.client.api.inspect_container(t["Status"]["ContainerStatus"]["ContainerID"])["Image"]
        for t in tasks
    }


@pytest.fixture
def swarm_gateway(settings, second_engine: SecondEngine) -> ToolGateway:
    return build_gateway(settings, engine=Engine(host=second_engine.url, name="host2"))


@pytest.fixture
def make_service(second_engine: SecondEngine) -> Iterator[Callable[..., dict[str, Any]]]:
    """Create a labelled service from the test image and wait until it runs; removed after."""
    client = second_engine.client
    created: list[str] = []

    def factory(
        prefix: str = "svc",
        replicas: int = 1,
        command: list[str] = SLEEPER,
        env: list[str] | None = None,
        labels: dict[str, str] | None = None,
        mode: str = "replicated",
    ) -> dict[str, Any]:
        name = unique(prefix)
        service = client.api.create_service(
            TaskTemplate(ContainerSpec(TEST_IMAGE, command=command, env=env)),
            name=name,
            labels={TEST_LABEL: RUN_ID, **(labels or {})},
            mode=ServiceMode(mode, replicas if mode == "replicated" else None),
            update_config=UpdateConfig(parallelism=0, monitor=FAST_ROLLOUT),
            rollback_config=RollbackConfig(parallelism=0, monitor=FAST_ROLLOUT),
        )
        created.append(service["ID"])
        eventually(lambda: converged(client, service["ID"], replicas), f"{name} starting")
        return {"id": service["ID"], "name": name}

    yield factory
    for service_id in created:
        try:
            client.api.remove_service(service_id)
        except docker.errors.NotFound:
            pass


def propose(gateway: ToolGateway, actor: Actor, tool: str, args: dict[str, Any]) -> CallOutcome:
    outcome = gateway.call(actor, tool, args)
    assert outcome.status == "pending_approval", outcome.message
    return outcome


def preview(outcome: CallOutcome) -> dict[str, Any]:
    """What the person approving is shown."""
    assert outcome.preview is not None
    return outcome.preview


def approve(gateway: ToolGateway, proposal: CallOutcome, admin: Actor) -> CallOutcome:
    assert proposal.approval is not None
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)
    assert outcome.status == "executed", outcome.message
    return outcome


# --- read -------------------------------------------------------------------------------------


def test_list_services_counts_running_tasks_in_two_engine_calls(
    swarm_gateway, make_service, viewer
):
    web = make_service("web", replicas=2)
    worker = make_service("worker", replicas=1)
    engine = swarm_gateway.managers[swarm_gateway.default_host].engine
    engine.api.version()  # the client negotiates its API version once, before counting

    with count_engine_requests(engine) as sent:
        outcome = swarm_gateway.call(viewer, "list_services", {})

    assert outcome.status == "executed", outcome.message
    assert [r.split("?")[0].rsplit("/", 1)[-1] for r in sent] == ["services", "tasks"], sent
    assert "desired-state" in sent[1] and "running" in sent[1]
    rows = {row["name"]: row for row in outcome.result}
    assert rows[web["name"]] == {
        "id": web["id"][:12],
        "name": web["name"],
        "image": TEST_IMAGE,
        "mode": "replicated",
        "replicas": 2,
        "running": 2,
        "updated": rows[web["name"]]["updated"],
        "host": "host2",
    }
    assert (rows[worker["name"]]["replicas"], rows[worker["name"]]["running"]) == (1, 1)


def test_service_logs_returns_the_tasks_lines_without_approval(swarm_gateway, make_service, viewer):
    marker = f"hello-{RUN_ID}"
    command = ["sh", "-c", f"echo {marker} one; echo {marker} two; " + SLEEPER[2]]
    service = make_service("logs", command=command)

    def logs() -> dict[str, Any] | None:
        outcome = swarm_gateway.call(viewer, "service_logs", {"service": service["name"]})
        assert outcome.status == "executed", outcome.message
        return outcome.result if f"{marker} two" in outcome.result["text"] else None

    result = eventually(logs, "the service's log lines showing")
    assert result["service"] == service["name"]
    assert result["text"].splitlines() == [
        f"{service['name']}.1 | {marker} one",
        f"{service['name']}.1 | {marker} two",
    ]
    assert (result["lines"], result["truncated"]) == (2, False)

    last = swarm_gateway.call(viewer, "service_logs", {"service": service["name"], "tail": 1})
    assert last.result["text"] == f"{service['name']}.1 | {marker} two"


# --- changes, each approved by a person -------------------------------------------------------


def test_scale_waits_for_approval_then_converges(
    swarm_gateway, make_service, second_engine, operator, viewer, admin
):
    service = make_service("scale", replicas=1)
    args = {"service": service["name"], "replicas": 3}

    denied = swarm_gateway.call(viewer, "scale_service", args)
    assert denied.status == "denied"
    proposal = propose(swarm_gateway, operator, "scale_service", args)
    shown = preview(proposal)
    assert shown["command"] == f"docker service scale {service['name']}=3"
    assert shown["targets"][0]["kind"] == "service"
    assert shown["targets"][0]["id"] == service["id"]  # the immutable ID, not the name
    assert "from 1 to 3 replicas" in shown["summary"]
    assert "1 -> 3 replicas: starts 2 task(s)" in shown["impact"]
    assert len(running_tasks(second_engine.client, service["id"])) == 1  # nothing ran yet

    done = approve(swarm_gateway, proposal, admin)
    assert done.result["command"] == f"docker service scale {service['name']}=3"
    eventually(lambda: converged(second_engine.client, service["id"], 3), "3 running tasks")
    listed = swarm_gateway.call(viewer, "list_services", {})
    row = next(r for r in listed.result if r["name"] == service["name"])
    assert (row["replicas"], row["running"]) == (3, 3)


def test_a_rejected_scale_changes_nothing(swarm_gateway, make_service, second_engine, admin):
    service = make_service("reject", replicas=1)
    version = second_engine.client.api.inspect_service(service["id"])["Version"]["Index"]
    proposal = propose(
        swarm_gateway, admin, "scale_service", {"service": service["name"], "replicas": 4}
    )
    assert proposal.approval is not None
    rejected = swarm_gateway.decide(proposal.approval["id"], admin, approve=False, reason="no")
    assert rejected.status == "rejected"
    after = second_engine.client.api.inspect_service(service["id"])
    assert after["Version"]["Index"] == version
    assert after["Spec"]["Mode"]["Replicated"]["Replicas"] == 1


def test_update_image_and_env_then_roll_back(
    swarm_gateway, make_service, second_engine, operator, admin
):
    client = second_engine.client
    service = make_service("upd", replicas=2, env=["KEEP=1", "MODE=old"])
    first_id = client.images.get(TEST_IMAGE).id
    second_tag = second_engine.second_tag
    second_id = client.images.get(second_tag).id
    assert first_id != second_id

    proposal = propose(
        swarm_gateway,
        operator,
        "update_service",
        {
            "service": service["name"],
            "image": second_tag,
            "env": {"MODE": "new", "API_TOKEN": "s3"},
        },
    )
    shown = preview(proposal)
    assert shown["command"] == (
        f"docker service update --image {second_tag} --env-add 'API_TOKEN=***' "
        f"--env-add MODE=new {service['name']}"
    )
    assert [t["kind"] for t in shown["targets"]] == ["service", "image"]
    assert shown["targets"][1]["id"] == second_id
    assert f"image {TEST_IMAGE} -> {second_tag}" in shown["impact"]
    assert "s3" not in str(shown)

    approve(swarm_gateway, proposal, admin)
    tasks = eventually(
        lambda: converged(client, service["id"], 2, second_tag), "tasks running the :2 image"
    )
    assert container_image_ids(second_engine, tasks) == {second_id}
    spec = client.api.inspect_service(service["id"])["Spec"]
    # Only what was asked changed: labels, command and the other variable are as they were.
    assert spec["Labels"][TEST_LABEL] == RUN_ID
    assert spec["TaskTemplate"]["ContainerSpec"]["Command"] == SLEEPER
    assert spec["TaskTemplate"]["ContainerSpec"]["Env"] == ["KEEP=1", "MODE=new", "API_TOKEN=s3"]
    assert spec["Mode"]["Replicated"]["Replicas"] == 2

    rollback = propose(swarm_gateway, operator, "rollback_service", {"service": service["name"]})
    assert preview(rollback)["command"] == f"docker service rollback {service['name']}"
    assert f"image {second_tag} -> {TEST_IMAGE}" in preview(rollback)["impact"]
    assert "env changes back: API_TOKEN, MODE" in preview(rollback)["impact"]
    approve(swarm_gateway, rollback, admin)
    tasks = eventually(
        lambda: converged(client, service["id"], 2, TEST_IMAGE), "tasks back on the :1 image"
    )
    assert container_image_ids(second_engine, tasks) == {first_id}
    env = client.api.inspect_service(service["id"])["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["KEEP=1", "MODE=old"]


def test_update_replicas_only_keeps_the_image(swarm_gateway, make_service, second_engine, admin):
    service = make_service("repl", replicas=1)
    proposal = propose(
        swarm_gateway, admin, "update_service", {"service": service["name"], "replicas": 2}
    )
    assert preview(proposal)["command"] == (f"docker service update --replicas 2 {service['name']}")
    approve(swarm_gateway, proposal, admin)
    eventually(
        lambda: converged(second_engine.client, service["id"], 2, TEST_IMAGE), "2 tasks on :1"
    )


def test_restart_replaces_every_task(swarm_gateway, make_service, second_engine, operator, admin):
    client = second_engine.client
    service = make_service("restart", replicas=2)
    before = {t["ID"] for t in running_tasks(client, service["id"])}

    proposal = propose(swarm_gateway, operator, "restart_service", {"service": service["name"]})
    assert preview(proposal)["command"] == f"docker service update --force {service['name']}"
    assert "replace all its tasks" in preview(proposal)["summary"]
    approve(swarm_gateway, proposal, admin)

    def replaced() -> list[dict[str, Any]] | None:
        tasks = converged(client, service["id"], 2)
        return tasks if tasks and not before & {t["ID"] for t in tasks} else None

    eventually(replaced, "two new tasks replacing the old ones")
    spec = client.api.inspect_service(service["id"])["Spec"]
    assert spec["TaskTemplate"]["ForceUpdate"] == 1
    assert spec["TaskTemplate"]["ContainerSpec"]["Image"].split("@")[0] == TEST_IMAGE


def test_a_rollback_approval_is_bound_to_the_spec_it_returns_to(
    swarm_gateway, make_service, second_engine, admin
):
    client = second_engine.client
    service = make_service("bound", replicas=1)
    approve(
        swarm_gateway,
        propose(
            swarm_gateway, admin, "update_service", {"service": service["name"], "env": {"A": "1"}}
        ),
        admin,
    )
    proposal = propose(swarm_gateway, admin, "rollback_service", {"service": service["name"]})
    # Someone else updates the service meanwhile: "previous" is no longer what was approved.
    current = client.api.inspect_service(service["id"])
    client.api.update_service(
        service["id"],
        current["Version"]["Index"],
        task_template={"ContainerSpec": {"Env": ["A=2"]}},
        fetch_current_spec=True,
    )
    assert proposal.approval is not None
    with pytest.raises(ApprovalTargetChanged, match="has changed since it was requested"):
        swarm_gateway.decide(proposal.approval["id"], admin, approve=True)
    env = client.api.inspect_service(service["id"])["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"]
    assert env == ["A=2"]


def test_a_protected_service_is_refused(swarm_gateway, make_service, admin):
    service = make_service("prot", labels={"dockerdeployer.protected": "true"})
    outcome = swarm_gateway.call(admin, "restart_service", {"service": service["name"]})
    assert outcome.status == "denied"
    assert "labelled dockerdeployer.protected" in outcome.message


# --- readable errors --------------------------------------------------------------------------


def test_mistakes_get_readable_messages(swarm_gateway, make_service, admin):
    service = make_service("oops", replicas=1)
    name = service["name"]
    cases = [
        ("scale_service", {"service": name[:-1], "replicas": 2}, f"did you mean {name}?"),
        ("rollback_service", {"service": name}, f"{name} has no previous version to roll back"),
        ("update_service", {"service": name}, "nothing to update: give image, env or replicas"),
        ("update_service", {"service": name, "image": TEST_IMAGE}, "nothing to update"),
        ("service_logs", {"service": "no-such-service"}, "No swarm service named"),
    ]
    for tool, args, expected in cases:
        outcome = swarm_gateway.call(admin, tool, args)
        assert outcome.status == "failed", (tool, outcome.message)
        assert expected in outcome.message, (tool, outcome.message)


def test_a_global_service_cannot_be_scaled(swarm_gateway, make_service, admin):
    service = make_service("glob", mode="global")
    outcome = swarm_gateway.call(
        admin, "scale_service", {"service": service["name"], "replicas": 2}
    )
    assert outcome.status == "failed"
    assert outcome.message == (
        f"{service['name']} is a global service; only replicated services scale"
    )


def test_an_engine_that_is_no_swarm_manager_says_so(gateway, docker_client, viewer, admin):
    """The main engine is not in swarm mode (these tests never make it one)."""
    if docker_client.info()["Swarm"].get("ControlAvailable"):
        pytest.skip("the main engine is a swarm manager on this machine")
    for tool, args, risk in [
        ("list_services", {}, viewer),
        ("service_logs", {"service": "web"}, viewer),
        ("scale_service", {"service": "web", "replicas": 2}, admin),
    ]:
        outcome = gateway.call(risk, tool, args)
        assert outcome.status == "failed", tool
        assert outcome.error_code == "not_swarm_manager"
        assert outcome.message.startswith("this host (local) is not a swarm manager; "), tool
