"""Compose projects on the real engine, through the gateway, with the installed Compose CLI
(Debian's docker-compose 1.29 here; the `docker compose` plugin where it exists).

Every project is a directory in a temporary compose root; every service, network and volume
carries our run label; teardown takes each project down with the CLI (and removes anything
labelled that is left), whatever the test did.
"""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml

from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tests.conftest import RUN_ID, TEST_IMAGE, TEST_LABEL, restart_count
from tests.integration.conftest import approved, count_engine_requests
from tools.compose_cli import ComposeUnavailable, detect_cli
from tools.engine import Engine, client_url
from tools.errors import ApprovalTargetChanged
from tools.gateway import ToolGateway
from tools.guard.policy import Actor, Role
from tools.manager import cli_env

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
RUN_LABEL = {TEST_LABEL: RUN_ID}


def service(message: str = "up", **extra: Any) -> dict[str, Any]:
    """A busybox service that logs one line and exits at once on SIGTERM."""
    command = f"trap 'exit 0' TERM; echo {message}; sleep 600 & wait"
    return {
        "image": TEST_IMAGE,
        "command": ["sh", "-c", command],
        "labels": dict(RUN_LABEL),
        **extra,
    }


class Projects:
    """Writes projects under one compose root and remembers them for teardown."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[tuple[str, Path]] = []

    def write(
        self,
        services: dict[str, dict[str, Any]],
        volumes: dict[str, dict[str, Any]] | None = None,
        filename: str = "compose.yaml",
    ) -> str:
        name = f"ddt-{uuid.uuid4().hex[:8]}"
        directory = self.root / name
        directory.mkdir()
        config: dict[str, Any] = {
            "version": "3.8",
            "services": services,
            "networks": {"default": {"labels": dict(RUN_LABEL)}},
        }
        if volumes is not None:
            config["volumes"] = {
                key: {**value, "labels": {**value.get("labels", {}), **RUN_LABEL}}
                for key, value in volumes.items()
            }
        file = directory / filename
        file.write_text(yaml.safe_dump(config, sort_keys=False))
        self.written.append((name, file))
        return name

    def file(self, name: str) -> Path:
        return next(file for project, file in self.written if project == name)


@pytest.fixture(scope="session")
def compose_cli_present() -> None:
    try:
        detect_cli()
    except ComposeUnavailable as exc:
        pytest.fail(f"{exc.message} (scripts/ensure-engine.sh installs it)", pytrace=False)


def take_down(made: Projects, engine: Engine, client: docker.DockerClient) -> None:
    """`down -v` each project that left anything behind; then remove what carries our labels
    (if the file no longer parses, down cannot run)."""
    cli = detect_cli()
    env = cli_env(client_url(engine.api))
    for name, file in made.written:
        if not resources_of(client, name):
            continue
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [*cli.argv, "-p", name, "-f", str(file), "down", "-v", "--remove-orphans"],
                capture_output=True, timeout=60, env=env, cwd=file.parent, check=False,
            )  # fmt: skip
        mine = {"label": [f"{PROJECT}={name}", f"{TEST_LABEL}={RUN_ID}"]}
        for item in client.api.containers(all=True, filters=mine):
            client.api.remove_container(item["Id"], force=True, v=True)
        for net in client.api.networks(filters=mine):
            client.api.remove_network(net["Id"])
        for vol in (client.api.volumes(filters=mine) or {}).get("Volumes") or []:
            client.api.remove_volume(vol["Name"], force=True)


@pytest.fixture
def projects(
    tmp_path: Path, engine: Engine, docker_client: docker.DockerClient, compose_cli_present: None
) -> Iterator[Projects]:
    root = tmp_path / "projects"
    root.mkdir()
    made = Projects(root)
    try:
        yield made
    finally:
        take_down(made, engine, docker_client)


@pytest.fixture
def compose_gateway(
    make_gateway: Callable[..., ToolGateway], projects: Projects
) -> Callable[..., ToolGateway]:
    def factory(**overrides: Any) -> ToolGateway:
        return make_gateway(compose_dirs=[str(projects.root)], **overrides)

    return factory


def containers_of(client: docker.DockerClient, project: str) -> list[dict[str, Any]]:
    return client.api.containers(all=True, filters={"label": f"{PROJECT}={project}"})


def resources_of(client: docker.DockerClient, project: str) -> list[str]:
    """Everything compose would have created for the project: containers, networks, volumes."""
    label = {"label": f"{PROJECT}={project}"}
    found = [f"container {c['Names'][0]}" for c in client.api.containers(all=True, filters=label)]
    found += [f"network {n['Name']}" for n in client.api.networks(filters=label)]
    volumes = (client.api.volumes(filters=label) or {}).get("Volumes") or []
    return found + [f"volume {v['Name']}" for v in volumes]


def shop(projects: Projects) -> str:
    """A two-service project with a named volume."""
    return projects.write(
        {"web": service("hello from web", volumes=["data:/data"]), "worker": service("worker up")},
        volumes={"data": {}},
    )


def bring_up(gateway: ToolGateway, actor: Any, project: str) -> dict[str, Any]:
    outcome = approved(gateway, actor, "compose_up", {"project": project})
    assert outcome.status == "executed", outcome.message
    return dict(outcome.result)


# --- up ---------------------------------------------------------------------------------------


def test_up_waits_for_approval_then_runs_labelled_containers(
    compose_gateway, projects, docker_client, operator
):
    gateway = compose_gateway()
    name = shop(projects)

    proposal = gateway.call(operator, "compose_up", {"project": name})

    assert proposal.status == "pending_approval", proposal.message
    assert resources_of(docker_client, name) == []  # nothing happens before a person says yes
    preview = proposal.preview or {}
    assert f"-p {name} -f {projects.file(name)} up -d" in preview["command"]
    assert any(line.startswith("service web: image " + TEST_IMAGE) for line in preview["impact"])
    assert [t["kind"] for t in preview["targets"]] == ["image"]  # by ID: bound to that image
    assert preview["targets"][0]["id"] == docker_client.images.get(TEST_IMAGE).id

    outcome = gateway.decide(proposal.approval["id"], operator, approve=True)

    assert outcome.status == "executed", outcome.message
    running = containers_of(docker_client, name)
    assert sorted(c["Labels"][SERVICE] for c in running) == ["web", "worker"]
    for item in running:
        assert item["State"] == "running"
        assert item["Labels"][TEST_LABEL] == RUN_ID
        assert name.replace("-", "") in item["Names"][0].replace("-", "")
        assert item["Labels"][SERVICE] in item["Names"][0]
    result = outcome.result
    assert sorted(result["targets"]) == sorted(c["Id"] for c in running)
    assert {c["service"]: c["state"] for c in result["containers"]} == {
        "web": "running", "worker": "running"
    }  # fmt: skip
    assert result["ok"] and "2 of 2 containers running" in result["message"]


def test_up_one_service_starts_only_that_service(compose_gateway, projects, docker_client, admin):
    gateway = compose_gateway()
    name = shop(projects)

    outcome = approved(gateway, admin, "compose_up", {"project": name, "service": "worker"})

    assert outcome.status == "executed", outcome.message
    assert [c["Labels"][SERVICE] for c in containers_of(docker_client, name)] == ["worker"]
    assert outcome.result["command"].endswith("up -d --no-build worker")


def test_an_unknown_service_is_a_readable_error(compose_gateway, projects, admin):
    name = shop(projects)
    outcome = compose_gateway().call(admin, "compose_up", {"project": name, "service": "db"})
    assert outcome.status == "failed"
    assert outcome.message == f"project {name!r} has no service 'db'; its services: web, worker"


def test_an_invalid_compose_file_is_a_readable_error(compose_gateway, projects, admin):
    name = projects.write({"web": service(colour="sometimes-maybe")})

    outcome = compose_gateway().call(admin, "compose_up", {"project": name})

    assert outcome.status == "failed" and outcome.error_code == "engine_error"
    assert outcome.message.startswith(f"`{detect_cli().display} config` for project {name} failed")
    assert "colour" in outcome.message
    assert "Traceback" not in outcome.message


def test_an_approval_is_bound_to_the_checked_configuration(
    compose_gateway, projects, docker_client, admin
):
    gateway = compose_gateway()
    name = projects.write({"web": service("before")})
    proposal = gateway.call(admin, "compose_up", {"project": name})
    assert proposal.status == "pending_approval"

    # Someone edits the file after the approver looked at it.
    file = projects.file(name)
    file.write_text(file.read_text().replace("echo before", "echo after"))

    with pytest.raises(ApprovalTargetChanged):
        gateway.decide(proposal.approval["id"], admin, approve=True)
    assert containers_of(docker_client, name) == []


def test_up_never_pulls_a_missing_image(compose_gateway, projects, docker_client, admin):
    name = projects.write({"web": service(image="dockerdeployer-test/absent:9")})

    outcome = compose_gateway().call(admin, "compose_up", {"project": name})

    assert outcome.status == "failed" and outcome.error_code == "image_not_found"
    assert "service web: image dockerdeployer-test/absent:9 is not on host" in outcome.message
    assert "pull it (pull_image) first" in outcome.message
    assert resources_of(docker_client, name) == []


# --- what the guard refuses -------------------------------------------------------------------


REFUSED = {
    "privileged": (
        {"web": service(privileged=True)}, None, "Privileged=True: privileged containers are"
    ),
    "socket-short": (
        {"web": service(volumes=["/var/run/docker.sock:/var/run/docker.sock"])},
        None,
        "mounting the Docker socket",
    ),
    "socket-long": (
        {"web": service(volumes=[{"type": "bind", "source": "/run/docker.sock", "target": "/s"}])},
        None,
        "mounting the Docker socket",
    ),
    "host-network": (
        {"ok": service(), "web": service(network_mode="host")},
        None,
        "sharing the host's network namespace",
    ),
    "bind-volume": (
        {"web": service(volumes=["hostetc:/x"])},
        {"hostetc": {"driver_opts": {"type": "none", "o": "bind", "device": "/etc"}}},
        "device=/etc",
    ),
    "cap-add": (
        {"web": service(cap_add=["SYS_ADMIN"])}, None, "adding capabilities SYS_ADMIN"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_dangerous_compose_file_is_refused_and_nothing_starts(
    case, compose_gateway, projects, docker_client, admin
):
    services, volumes, expected = REFUSED[case]
    name = projects.write(services, volumes)

    outcome = compose_gateway().call(admin, "compose_up", {"project": name})

    assert outcome.status == "denied", outcome.message
    assert expected in outcome.message and "service web" in outcome.message
    assert outcome.approval is None  # not even offered for approval
    assert resources_of(docker_client, name) == []


# --- ps, logs, restart ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def running_shop(
    tmp_path_factory: pytest.TempPathFactory,
    docker_client: docker.DockerClient,
    test_image: str,
    compose_cli_present: None,
) -> Iterator[tuple[ToolGateway, str, str]]:
    """For the read tests: (gateway, a running project, a configured project not created)."""
    base = tmp_path_factory.mktemp("compose-shared")
    (base / "projects").mkdir()
    made = Projects(base / "projects")
    engine = Engine.from_client(docker_client)
    settings = Settings(  # type: ignore[call-arg]
        home=base / "home", compose_dirs=[str(made.root)], _env_file=None
    )
    gateway = build_gateway(settings, engine=engine)
    try:
        up, idle = shop(made), shop(made)
        bring_up(gateway, Actor("alice", Role.ADMIN), up)
        yield gateway, up, idle
    finally:
        take_down(made, engine, docker_client)


def test_ps_lists_projects_and_which_are_running(running_shop, viewer):
    gateway, up, idle = running_shop

    outcome = gateway.call(viewer, "compose_ps", {})

    assert outcome.status == "executed", outcome.message
    listed = {p["name"]: p for p in outcome.result}
    assert listed[up]["state"] == "running" and listed[up]["running"] == 2
    assert listed[idle]["state"] == "not created" and listed[idle]["containers"] == 0
    assert listed[up]["configured"] and listed[up]["file"] == "compose.yaml"


def test_ps_of_a_project_costs_one_engine_list_call(running_shop, docker_client, viewer):
    gateway, name, _ = running_shop

    with count_engine_requests(gateway.managers["local"].engine) as sent:
        outcome = gateway.call(viewer, "compose_ps", {"project": name})

    assert outcome.status == "executed", outcome.message
    assert len(sent) == 1 and "/containers/json" in sent[0], sent
    result = outcome.result
    assert result["services"] == ["web", "worker"]
    ids = {c["Id"][:12] for c in containers_of(docker_client, name)}
    assert {c["id"] for c in result["containers"]} == ids
    assert {c["service"] for c in result["containers"]} == {"web", "worker"}


def test_logs_of_a_project_and_of_one_service(running_shop, viewer):
    gateway, name, _ = running_shop

    everything = gateway.call(viewer, "compose_logs", {"project": name})
    web = gateway.call(viewer, "compose_logs", {"project": name, "service": "web", "tail": 5})
    unknown = gateway.call(viewer, "compose_logs", {"project": name, "service": "db"})

    assert everything.status == "executed", everything.message
    assert "hello from web" in everything.result["text"]
    assert "worker up" in everything.result["text"]
    assert web.status == "executed"
    assert "hello from web" in web.result["text"] and "worker up" not in web.result["text"]
    assert all(" | " in line for line in web.result["text"].splitlines())
    assert unknown.status == "failed" and "its services: web, worker" in unknown.message


def test_restart_one_service_restarts_only_its_containers(
    compose_gateway, projects, docker_client, admin
):
    gateway = compose_gateway()
    name = shop(projects)
    bring_up(gateway, admin, name)
    by_service = {c["Labels"][SERVICE]: c["Id"] for c in containers_of(docker_client, name)}
    before = {s: restart_count(docker_client, cid) for s, cid in by_service.items()}

    proposal = gateway.call(admin, "compose_restart", {"project": name, "service": "web"})
    assert proposal.status == "pending_approval"
    assert [t["id"] for t in proposal.preview["targets"]] == [by_service["web"]]
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)

    assert outcome.status == "executed", outcome.message
    assert outcome.result["targets"] == [by_service["web"]]
    assert restart_count(docker_client, by_service["web"]) != before["web"]
    assert restart_count(docker_client, by_service["worker"]) == before["worker"]
    assert docker_client.api.inspect_container(by_service["web"])["State"]["Running"]


# --- down ---------------------------------------------------------------------------------------


def test_down_removes_containers_and_network_but_keeps_volumes(
    compose_gateway, projects, docker_client, operator
):
    gateway = compose_gateway()
    name = shop(projects)
    bring_up(gateway, operator, name)
    ids = sorted(c["Id"] for c in containers_of(docker_client, name))

    proposal = gateway.call(operator, "compose_down", {"project": name})
    assert proposal.status == "pending_approval", proposal.message
    assert proposal.approval["risk"] == "change"
    assert sorted(t["id"] for t in proposal.preview["targets"]) == ids
    outcome = gateway.decide(proposal.approval["id"], operator, approve=True)

    assert outcome.status == "executed", outcome.message
    assert resources_of(docker_client, name) == [f"volume {name}_data"]
    assert sorted(outcome.result["targets"]) == ids


def test_down_with_volumes_is_destructive_and_needs_an_admin(
    compose_gateway, projects, docker_client, operator, admin
):
    gateway = compose_gateway()
    name = shop(projects)
    bring_up(gateway, operator, name)

    by_operator = gateway.call(operator, "compose_down", {"project": name, "volumes": True})
    assert by_operator.status == "denied" and "needs admin" in by_operator.message

    proposal = gateway.call(admin, "compose_down", {"project": name, "volumes": True})
    assert proposal.status == "pending_approval"
    assert proposal.approval["risk"] == "destructive"
    assert f"deletes volume {name}_data and all its data" in proposal.preview["impact"]
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)

    assert outcome.status == "executed", outcome.message
    assert resources_of(docker_client, name) == []


def test_down_of_a_project_with_a_protected_container_is_denied(
    compose_gateway, projects, docker_client, admin
):
    gateway = compose_gateway(protected_labels=["ddt.keep=yes"])
    name = projects.write(
        {"web": service(), "db": service(labels={**RUN_LABEL, "ddt.keep": "yes"})}
    )
    bring_up(gateway, admin, name)

    outcome = gateway.call(admin, "compose_down", {"project": name})

    assert outcome.status == "denied"
    assert "carries protected label ddt.keep=yes" in outcome.message
    assert len(containers_of(docker_client, name)) == 2


def test_down_of_a_project_that_is_not_up_is_a_conflict(compose_gateway, projects, admin):
    name = shop(projects)
    outcome = compose_gateway().call(admin, "compose_down", {"project": name})
    assert outcome.status == "failed" and outcome.error_code == "conflict"
    assert "is not up" in outcome.message


# --- where projects come from, and a missing CLI ------------------------------------------------


def test_an_unknown_project_names_the_available_ones(compose_gateway, projects, admin):
    known = shop(projects)
    gateway = compose_gateway()
    for tool in ("compose_up", "compose_ps", "compose_down", "compose_logs", "compose_restart"):
        outcome = gateway.call(admin, tool, {"project": "nope"})
        assert outcome.status == "failed", tool
        assert outcome.error_code == "not_found"
        assert outcome.message == f"no compose project 'nope'; available projects: {known}"


@pytest.mark.parametrize("project", ["../etc", "/etc", "a/b", ".hidden", "UP"])
def test_project_names_cannot_reach_outside_the_compose_dirs(
    compose_gateway, projects, admin, project
):
    outcome = compose_gateway().call(admin, "compose_up", {"project": project})
    assert outcome.status == "failed" and outcome.error_code == "invalid_arguments"


def test_only_compose_files_inside_the_configured_directories_count(
    compose_gateway, projects, tmp_path, admin
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "compose.yaml").write_text("services: {}\n")
    (projects.root / "escape").mkdir()
    (projects.root / "escape" / "compose.yaml").symlink_to(elsewhere / "compose.yaml")
    (projects.root / "linked").symlink_to(elsewhere, target_is_directory=True)
    (projects.root / "empty").mkdir()
    known = projects.write({"web": service()}, filename="docker-compose.yml")

    outcome = compose_gateway().call(admin, "compose_ps", {})

    assert [p["name"] for p in outcome.result if p["configured"]] == [known]


def test_no_configured_directories_is_a_readable_error(make_gateway, admin):
    outcome = make_gateway().call(admin, "compose_up", {"project": "shop"})
    assert outcome.status == "failed"
    assert "no compose project directories are configured" in outcome.message


def test_a_missing_compose_cli_is_a_readable_error(
    compose_gateway, projects, tmp_path, monkeypatch, admin
):
    name = shop(projects)
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    outcome = compose_gateway().call(admin, "compose_up", {"project": name})

    assert outcome.status == "failed"
    assert outcome.error_code == "compose_unavailable"
    assert "neither the `docker compose` plugin nor `docker-compose` was found" in outcome.message
    assert "apt-get install docker-compose" in outcome.message
    # Reads through the engine still answer.
    assert compose_gateway().call(admin, "compose_ps", {}).status == "executed"


def test_the_cli_goes_through_the_boundary_and_gets_no_server_secrets(
    compose_gateway, projects, docker_client, admin, monkeypatch
):
    """The compose CLI is pointed at a private filtering socket, not the engine; the server's
    own secrets are not there for a compose file to interpolate."""
    monkeypatch.setenv("DOCKERDEPLOYER_JWT_SECRET", "s3cret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    env = cli_env("unix:///x.sock")
    assert env["DOCKER_HOST"] == "unix:///x.sock"
    assert "s3cret" not in env.values() and "sk-test" not in env.values()
    seen: list[str] = []
    gateway = compose_gateway()
    manager = gateway.managers["local"]
    real_run = subprocess.run

    def spy(argv, **kwargs):
        seen.append(kwargs["env"]["DOCKER_HOST"])
        return real_run(argv, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    manager.run_cli(["docker", "version", "--format", "{{.Server.Version}}"], timeout=30)
    assert seen and seen[0].startswith("unix://") and "dockerdeployer-engine-" in seen[0]
