"""The real thing: build the image (scripts/build-image.sh, no registry), run the API in it as its
non-root user against the real engine, with and without the socket's group, and bring the whole
compose file up.

Every container, volume, network and image made here carries `dockerdeployer.test=<run id>` and
only those are removed. The base image (local/debian:...) and the build cache are kept on
purpose: they are what makes the next run fast.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
import yaml

from tests.conftest import RUN_ID, TEST_LABEL, unique
from tests.deploy.conftest import COMPOSE, ROOT, SOCKET
from tests.live_server import free_port
from tools.guard.policy import SELF_LABEL

# Slow tier (`make test-all`): a cold build (debootstrap + wheelhouse) takes minutes.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]

IMAGE = f"dockerdeployer-test/app:{RUN_ID}"
UID = 10001
BUILD_LOG = ROOT / "test-artifacts" / "build-image.log"


# --- helpers -------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: Any


def http(
    method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 10
) -> Response:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            raw, status = reply.read(), reply.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return Response(status, json.loads(raw))
    except ValueError:
        return Response(status, raw.decode("utf-8", "replace"))


def logs(container: Any) -> str:
    return str(container.logs().decode("utf-8", "replace"))


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, diagnose: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{diagnose()}")


def published_port(container: Any, port: str) -> int:
    container.reload()
    bindings = container.attrs["NetworkSettings"]["Ports"].get(port) or []
    assert bindings, f"{port} not published: {container.attrs['NetworkSettings']['Ports']}"
    return int(bindings[0]["HostPort"])


def socket_gid() -> int:
    try:
        info = os.stat(SOCKET)
    except OSError:
        pytest.skip(f"no Docker socket at {SOCKET} to mount into the container")
    if not stat.S_ISSOCK(info.st_mode):
        pytest.skip(f"{SOCKET} is not a socket")
    if info.st_mode & 0o006:
        pytest.skip(f"{SOCKET} is world-accessible: the group_add case proves nothing here")
    return info.st_gid


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """The image, built by the same script a user runs; removed afterwards (its layers stay
    cached: noprune)."""
    BUILD_LOG.parent.mkdir(exist_ok=True)
    started = time.monotonic()
    with BUILD_LOG.open("w") as log:
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "build-image.sh"), "-t", IMAGE,
             "--label", f"{TEST_LABEL}={RUN_ID}"],
            stdout=log, stderr=subprocess.STDOUT, timeout=840, cwd=ROOT,
        )  # fmt: skip
    tail = "\n".join(BUILD_LOG.read_text().splitlines()[-30:])
    assert result.returncode == 0, f"build-image.sh failed:\n{tail}"
    with BUILD_LOG.open("a") as log:
        log.write(f"\n[test] build took {time.monotonic() - started:.1f} s\n")
    yield IMAGE
    try:
        docker_client.images.remove(IMAGE, force=True, noprune=True)
    except docker.errors.ImageNotFound:
        pass


@pytest.fixture
def run_api(
    docker_client: docker.DockerClient, app_image: str
) -> Iterator[Callable[..., tuple[Any, str]]]:
    """Start the API container the way compose does (read-only, no capabilities,
    no-new-privileges, named volume for state, socket mounted, port on loopback)."""
    created: list[Any] = []
    volumes: list[str] = []

    def start(group_add: list[int] | None) -> tuple[Any, str]:
        volume = docker_client.volumes.create(name=unique("state"), labels={TEST_LABEL: RUN_ID})
        volumes.append(volume.name)
        container = docker_client.containers.run(
            app_image,
            name=unique("api"),
            detach=True,
            labels={TEST_LABEL: RUN_ID, SELF_LABEL: "true"},
            environment={"DOCKERDEPLOYER_JWT_SECRET": secrets.token_hex(32)},
            volumes={SOCKET: {"bind": SOCKET, "mode": "rw"}, volume.name: {"bind": "/data"}},
            group_add=[str(g) for g in group_add or []],
            ports={"8000/tcp": ("127.0.0.1", None)},
            read_only=True,
            tmpfs={"/tmp": "size=64m"},
            security_opt=["no-new-privileges:true"],
            cap_drop=["ALL"],
        )
        created.append(container)
        url = f"http://127.0.0.1:{published_port(container, '8000/tcp')}"

        def up() -> bool:
            container.reload()
            assert container.status == "running", f"the API container exited:\n{logs(container)}"
            return http("GET", f"{url}/api/health", timeout=3).status == 200

        wait_until(up, 90, "GET /api/health", lambda: logs(container))
        return container, url

    yield start
    for container in created:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
    for name in volumes:
        try:
            docker_client.volumes.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass


def first_admin_password(container: Any) -> str:
    """Without a terminal the password is not logged: the log names the file it went to
    (`cat /data/first-admin-password`), readable inside the container."""
    lines = logs(container).splitlines()
    for i, line in enumerate(lines):
        if "First start: created user 'admin'" in line:
            shown = lines[i + 1].strip()
            if shown.startswith("cat "):
                read = container.exec_run(["cat", shown.removeprefix("cat ").strip()])
                assert read.exit_code == 0, read.output
                return str(read.output.decode().strip())
            return shown
    pytest.fail(f"no first-admin password in the logs:\n{logs(container)}")


def login(url: str, user: str, password: str) -> str:
    reply = http("POST", f"{url}/api/auth/login", {"username": user, "password": password})
    assert reply.status == 200, reply.body
    return str(reply.body["access_token"])


# --- the two runs the issue asks for -------------------------------------------------------------


def test_image_runs_as_fixed_non_root_user_without_build_tools(
    docker_client: docker.DockerClient, app_image: str
) -> None:
    config = docker_client.api.inspect_image(app_image)["Config"]
    assert config["User"] == f"{UID}:{UID}"
    assert config["Healthcheck"]["Test"][0] in ("CMD", "CMD-SHELL")
    assert config["Labels"].get(TEST_LABEL) == RUN_ID
    probe = "; ".join([
        "id -u",
        "for t in pip pip3 gcc cc make git; do command -v $t >/dev/null && echo HAS $t; done",
        "ls /wheels 2>&1 | head -1",
        "python -c 'import importlib.util as u; print(u.find_spec(\"pip\"))'",
    ])  # fmt: skip
    out = docker_client.containers.run(
        app_image, ["sh", "-c", probe], remove=True, labels={TEST_LABEL: RUN_ID}
    ).decode()
    lines = out.splitlines()
    assert lines[0] == str(UID), out
    assert "HAS" not in out, f"build tools in the final image:\n{out}"
    assert "No such file" in out and lines[-1] == "None", f"build leftovers in the image:\n{out}"


def test_api_with_the_socket_group_reaches_the_engine_and_lists_containers(
    run_api: Callable[..., tuple[Any, str]], make_container: Callable[..., Any]
) -> None:
    gid = socket_gid()
    running = make_container("seen")
    stopped = make_container("seen-stopped", start=False)
    container, url = run_api(group_add=[gid])

    ids = container.exec_run(["sh", "-c", "id -u; id -G"]).output.decode().split()
    assert ids[0] == str(UID) and str(gid) in ids[1:], f"uid/groups in the container: {ids}"

    health = http("GET", f"{url}/api/health")
    assert health.status == 200 and health.body["status"] == "ok", health.body
    assert health.body["engine"]["reachable"] is True
    assert health.body["engine"]["version"]
    assert "Docker engine" in logs(container) and "WARNING" not in logs(container)

    # A user made the documented way: `docker exec -i ... users add NAME --password-stdin`.
    password = secrets.token_urlsafe(16)
    added = subprocess.run(
        ["docker", "exec", "-i", container.id,
         "dockerdeployer", "users", "add", "tester", "--role", "viewer", "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = login(url, "tester", password)

    listed = http("GET", f"{url}/api/containers?all=true", token=token)
    assert listed.status == 200, listed.body
    names = {item["name"] for item in listed.body}
    assert {running.name, stopped.name, container.name} <= names, names
    running_only = http("GET", f"{url}/api/containers", token=token)
    assert stopped.name not in {item["name"] for item in running_only.body}

    # Its own label protects it: even an admin cannot have it stopped through the API.
    admin = login(url, "admin", first_admin_password(container))
    refused = http("POST", f"{url}/api/containers/{container.name}/stop", token=admin)
    assert refused.status == 403, refused.body
    assert "DockerDeployer itself" in str(refused.body)
    container.reload()
    assert container.status == "running"


def test_api_without_the_socket_group_starts_and_says_how_to_fix_it(
    run_api: Callable[..., tuple[Any, str]],
) -> None:
    gid = socket_gid()
    container, url = run_api(group_add=None)
    fix = f'group_add: ["{gid}"]'

    health = http("GET", f"{url}/api/health")
    assert health.status == 200, health.body
    assert health.body["status"] == "degraded"
    engine = health.body["engine"]
    assert engine["reachable"] is False
    assert "Permission denied" in engine["problem"], engine
    assert fix in engine["fix"] and "stat -c %g" in engine["fix"], engine

    text = logs(container)
    assert "WARNING: Docker engine not reachable: Permission denied" in text, text
    assert "WARNING: fix: " in text and fix in text, text

    # The API keeps answering: a clear 503 for engine calls, nothing crashes.
    token = login(url, "admin", first_admin_password(container))
    listed = http("GET", f"{url}/api/containers?all=true", token=token)
    assert listed.status == 503, listed.body
    assert listed.body["code"] == "engine_permission_denied" and fix in listed.body["detail"]
    assert http("GET", f"{url}/api/health").status == 200
    container.reload()
    assert container.status == "running", logs(container)

    doctor = container.exec_run("dockerdeployer doctor")
    assert doctor.exit_code != 0 and fix in doctor.output.decode(), doctor.output.decode()


# --- the compose file itself, as a user runs it --------------------------------------------------


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    if probe.returncode == 0:
        return ["docker", "compose"]
    pytest.skip("neither docker-compose nor docker compose is installed")


def test_compose_up_brings_api_and_console_up_healthy(
    docker_client: docker.DockerClient, app_image: str, tmp_path: Path
) -> None:
    gid = socket_gid()
    project = f"ddt-{RUN_ID}"
    label = {TEST_LABEL: RUN_ID}
    # Only what a test must change: its label on everything, its image, quicker health polls.
    fast = {"interval": "2s", "start_period": "60s"}
    override = {
        "services": {
            name: {"image": app_image, "labels": label, "healthcheck": fast}
            for name in ("api", "ui")
        },
        "volumes": {"state": {"labels": label}},
        "networks": {"default": {"labels": label}, "docker-api": {"labels": label}},
    }
    override_file = tmp_path / "override.yaml"
    override_file.write_text(yaml.safe_dump(override))
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    api_port, ui_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DOCKERDEPLOYER_")},
        "DOCKER_GID": str(gid),
        "DOCKERDEPLOYER_JWT_SECRET": secrets.token_hex(32),
        "DOCKERDEPLOYER_API_PORT": str(api_port),
        "DOCKERDEPLOYER_UI_PORT": str(ui_port),
    }
    base = [*_compose_command(), "--env-file", str(env_file), "-p", project,
            "-f", str(COMPOSE), "-f", str(override_file)]  # fmt: skip

    def compose(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )

    def containers() -> dict[str, Any]:
        found = docker_client.containers.list(
            all=True,
            filters={"label": [f"{TEST_LABEL}={RUN_ID}", f"com.docker.compose.project={project}"]},
        )
        return {c.labels["com.docker.compose.service"]: c for c in found}

    def describe() -> str:
        return "\n".join(f"--- {name}\n{logs(c)[-3000:]}" for name, c in containers().items())

    try:
        up = compose("up", "-d")
        assert up.returncode == 0, f"{up.stdout}\n{up.stderr}\n{describe()}"

        def healthy() -> bool:
            found = containers()
            for c in found.values():
                c.reload()
            states = {n: c.attrs["State"].get("Health", {}).get("Status") for n, c in found.items()}
            return set(found) == {"api", "ui"} and set(states.values()) == {"healthy"}

        wait_until(healthy, 120, "api and ui healthy", describe)
        found = containers()
        api, ui = found["api"], found["ui"]

        for c in (api, ui):
            host = c.attrs["HostConfig"]
            assert c.attrs["Config"]["User"] == f"{UID}:{UID}"
            assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
            assert "no-new-privileges:true" in host["SecurityOpt"]
            assert c.labels.get(SELF_LABEL) == "true"
        assert api.attrs["HostConfig"]["GroupAdd"] == [str(gid)]
        assert not ui.attrs["HostConfig"].get("GroupAdd")
        mounts = {c: {m["Destination"] for m in c.attrs["Mounts"]} for c in (api, ui)}
        assert SOCKET in mounts[api] and "/data" in mounts[api]
        assert SOCKET not in mounts[ui]

        health = http("GET", f"http://127.0.0.1:{api_port}/api/health")
        assert health.status == 200 and health.body["engine"]["reachable"] is True, health.body
        console = http("GET", f"http://127.0.0.1:{ui_port}/_stcore/health")
        assert console.status == 200, console.body
        # The console reaches the API by its service name, as its settings say.
        probe = ui.exec_run(
            ["python", "-c", "import urllib.request as u; "
             "print(u.urlopen('http://api:8000/api/health', timeout=5).status)"]
        )  # fmt: skip
        assert probe.output.decode().strip() == "200", probe.output.decode()
    finally:
        down = compose("down", "-v", "--remove-orphans", timeout=120)
        assert down.returncode == 0, down.stderr
