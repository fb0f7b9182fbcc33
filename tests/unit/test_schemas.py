"""Input validation: hostile names are refused with a message a person can read."""

from __future__ import annotations

import pytest

from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tools.engine import Engine
from tools.guard.policy import Actor, Role
from tools.schemas import (
    InspectContainerInput,
    ListContainersInput,
    RunContainerInput,
    StopContainerInput,
)

HOSTILE_NAMES = [
    "; rm -rf /",
    "$(reboot)",
    "`id`",
    "web && docker rm -f db",
    "../",
    "../../etc/passwd",
    "..",
    "web/../db",
    "a" * 10_240,
    "x" * 256,
    "контейнер",
    "café",
    "web\u200b",  # zero-width space
    "web\nrm -rf /",
    "",
    "   ",
    "-rf",
    "_hidden",
    "web name",
    "web:latest",
]
VALID_NAMES = ["web", "web-1", "my_app.v2", "a", "3f2a9c1b0d4e", "f" * 64, "x" * 255]
CONTAINER_TOOLS = [
    "inspect_container",
    "container_logs",
    "container_stats",
    "start_container",
    "stop_container",
    "restart_container",
    "remove_container",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=lambda n: repr(n[:20]))
def test_hostile_container_refs_are_rejected_readably(name):
    with pytest.raises(ValueError) as info:
        InspectContainerInput(container=name)
    message = str(info.value)
    assert "container" in message
    assert "Traceback" not in message
    assert len(message) < 1_000  # a 10 kB input is not echoed back whole


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_container_refs_are_accepted(name):
    assert InspectContainerInput(container=name).container == name


def test_a_leading_slash_is_docker_spelling_and_is_dropped():
    assert StopContainerInput(container="/web").container == "web"


@pytest.mark.parametrize(
    "image",
    ["nginx; rm -rf /", "../etc", "nginx:../../x", "", "ngïnx", "$(id)", "a b", "x" * 300],
)
def test_hostile_image_refs_are_rejected(image):
    with pytest.raises(ValueError, match="not a valid image reference|at most"):
        RunContainerInput(image=image)


@pytest.mark.parametrize(
    "image",
    ["nginx", "nginx:1.27", "registry.local:5000/team/app:1.0", "busybox@sha256:" + "a" * 64],
)
def test_valid_image_refs_are_accepted(image):
    assert RunContainerInput(image=image).image == image


def test_unknown_arguments_are_refused():
    with pytest.raises(ValueError, match="extra"):
        StopContainerInput(container="web", signal="KILL")  # type: ignore[call-arg]


def test_list_filters_are_bounded():
    with pytest.raises(ValueError):
        ListContainersInput(status="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ListContainersInput(name="x" * 256)


@pytest.fixture
def offline_gateway(tmp_path):
    """A gateway whose engine does not exist: validation must answer before any engine call."""
    settings = Settings(home=tmp_path, _env_file=None)  # type: ignore[call-arg]
    engine = Engine(host=f"unix://{tmp_path}/no-engine.sock")
    gateway = build_gateway(settings, engine=engine)
    yield gateway
    assert engine._client is None, "validation must not have touched the engine"


@pytest.mark.parametrize("tool", CONTAINER_TOOLS)
@pytest.mark.parametrize("name", ["; rm -rf /", "../", "a" * 10_240, "контейнер", ""])
def test_hostile_names_through_the_gateway_fail_readably(offline_gateway, tool, name):
    admin = Actor("alice", Role.ADMIN)
    outcome = offline_gateway.call(admin, tool, {"container": name})
    assert outcome.status == "failed"
    assert outcome.error_code == "invalid_arguments"
    assert outcome.message.startswith("invalid arguments: container:")
    assert len(outcome.message) < 400
    [entry] = offline_gateway.audit.query(tool=tool)
    assert entry.event == "invalid"


def test_hostile_run_container_names_fail_readably(offline_gateway):
    admin = Actor("alice", Role.ADMIN)
    outcome = offline_gateway.call(
        admin, "run_container", {"image": "busybox", "name": "x; docker rm -f db"}
    )
    assert outcome.status == "failed"
    assert "name:" in outcome.message and "not a valid container name" in outcome.message


def test_unknown_tools_are_denied(offline_gateway):
    outcome = offline_gateway.call(Actor("alice", Role.ADMIN), "format_disk", {})
    assert outcome.status == "denied"
    assert "unknown tool 'format_disk'" in outcome.message
