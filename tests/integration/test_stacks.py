"""Swarm stacks from compose projects on the second (swarm) engine: deploy through approval,
a privileged stack refused, remove."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dockerdeployer.wiring import build_gateway
from tests.conftest import RUN_ID, TEST_IMAGE, TEST_LABEL, unique
from tests.integration.test_swarm import eventually
from tools.engine import Engine

if TYPE_CHECKING:
    from tests.second_engine import SecondEngine

pytest_plugins = ["tests.second_engine"]
# Slow tier (`make test-all`): stacks converge on the second engine's swarm.
pytestmark = pytest.mark.slow

STACK_FILE = """\
version: "3.8"
services:
  web:
    image: {image}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
    labels: {{"{label}": "{run}"}}
    deploy:
      replicas: 2
      labels: {{"{label}": "{run}"}}
{extra}"""


def _project(root: Path, name: str, extra: str = "") -> str:
    (root / name).mkdir(parents=True)
    (root / name / "compose.yaml").write_text(
        STACK_FILE.format(image=TEST_IMAGE, label=TEST_LABEL, run=RUN_ID, extra=extra)
    )
    return name


@pytest.fixture
def stack_gateway(settings, second_engine: SecondEngine, tmp_path):
    settings = settings.model_copy(update={"compose_dirs": [str(tmp_path)]})
    return build_gateway(settings, engine=Engine(host=second_engine.url, name="host2"))


def test_deploy_then_remove_a_stack(stack_gateway, second_engine, tmp_path, admin):
    project = _project(tmp_path, unique("stk").replace("ddt-", "s").lower()[:40])
    client = second_engine.client
    in_stack = {"label": f"com.docker.stack.namespace={project}"}
    try:
        proposal = stack_gateway.call(admin, "stack_deploy", {"project": project})
        assert proposal.status == "pending_approval", proposal.message
        assert proposal.approval["command"].startswith("docker stack deploy -c ")
        assert client.services.list(filters=in_stack) == []

        done = stack_gateway.decide(proposal.approval["id"], admin, approve=True)
        assert done.status == "executed", done.message
        services = client.services.list(filters={"label": f"com.docker.stack.namespace={project}"})
        assert [s.name for s in services] == [f"{project}_web"]
        eventually(
            lambda: len([t for t in services[0].tasks() if t["Status"]["State"] == "running"]) == 2,
            "two running tasks",
        )

        removal = stack_gateway.call(admin, "stack_remove", {"stack": project})
        assert removal.status == "pending_approval" and removal.approval["risk"] == "destructive"
        assert stack_gateway.decide(removal.approval["id"], admin, approve=True).status == (
            "executed"
        )
        eventually(
            lambda: not client.services.list(
                filters={"label": f"com.docker.stack.namespace={project}"}
            ),
            "stack removed",
        )
    finally:
        for service in client.services.list(
            filters={"label": f"com.docker.stack.namespace={project}"}
        ):
            service.remove()


def test_a_stack_mounting_the_socket_is_refused(stack_gateway, second_engine, tmp_path, admin):
    extra = "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n"
    project = _project(tmp_path, "sockstack", extra=extra)
    outcome = stack_gateway.call(admin, "stack_deploy", {"project": project})
    assert outcome.status == "denied"
    assert "socket" in outcome.message
    assert second_engine.client.services.list(
        filters={"label": "com.docker.stack.namespace=sockstack"}
    ) == []
