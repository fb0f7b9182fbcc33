"""compose.yaml, Dockerfile and the build script, read without building or running anything.

Each test names one property of the deployment; removing it from the files makes that test fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import Any

import pytest

from tests.deploy.conftest import (
    COMPOSE,
    ROOT,
    SOCKET,
    Dockerfile,
    mounts_socket,
    parse_dockerfile,
    volume_sources,
)
from tools.guard.policy import SELF_LABEL, Policy
from tools.plan import Target

DEFAULT = ("api", "ui")  # the services `docker compose up` starts (no profile)
PROXY_PROFILE = "proxy"
SHARED_PROFILE = "shared"
# Services that run the API with the socket: the default one, and the shared profile's replicas.
API_WITH_SOCKET = {"api": None, "api-shared": SHARED_PROFILE}


def _labels(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("labels") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(k): str(v) for k, v in raw.items()}


def _env(service: dict[str, Any]) -> dict[str, Any]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return dict(raw)


def _our_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Services running the DockerDeployer image (not the third-party socket proxy)."""
    return {n: s for n, s in services.items() if "dockerdeployer" in str(s.get("image"))}


# --- compose.yaml --------------------------------------------------------------------------------


def test_compose_parses_with_the_api_and_ui_services(services: dict[str, dict[str, Any]]) -> None:
    for name in DEFAULT:
        assert name in services, f"compose.yaml lost the {name!r} service"
        assert not services[name].get("profiles"), f"{name} must start without a profile"


def test_api_gets_the_socket_group_by_numeric_gid(services: dict[str, dict[str, Any]]) -> None:
    group_add = services["api"].get("group_add")
    assert group_add, "api has no group_add: a non-root API cannot open the Docker socket"
    assert any(
        re.fullmatch(r"\$\{DOCKER_GID:\?.*stat -c %g /var/run/docker\.sock.*\}", str(g))
        for g in group_add
    ), f"group_add must be the required ${{DOCKER_GID:?...}} with the stat hint: {group_add}"


def test_docker_socket_is_mounted_only_into_api(services: dict[str, dict[str, Any]]) -> None:
    assert mounts_socket(services["api"]), "api lost its Docker socket mount"
    for name, svc in services.items():
        if not mounts_socket(svc):
            continue
        if name in API_WITH_SOCKET:
            profile = API_WITH_SOCKET[name]
            assert profile is None or svc.get("profiles") == [profile], name
            continue
        # The only other holder is the opt-in socket proxy, read-only, behind a profile.
        assert PROXY_PROFILE in (svc.get("profiles") or []), f"{name} mounts the Docker socket"
        assert "dockerdeployer" not in str(svc.get("image")), f"{name} mounts the Docker socket"
        assert all(
            mode == "ro" for src, _, mode in volume_sources(svc) if src.endswith("docker.sock")
        ), f"{name}: the proxy's socket mount must be read-only"
    assert not mounts_socket(services["ui"]), "the console must never see the Docker socket"


def test_only_api_has_the_docker_group(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        if name not in API_WITH_SOCKET:
            assert not svc.get("group_add"), f"{name} must not get the socket's group"


@pytest.mark.parametrize("name", DEFAULT)
def test_services_run_as_a_fixed_non_root_uid(
    services: dict[str, dict[str, Any]], dockerfile: Dockerfile, name: str
) -> None:
    user = str(services[name].get("user", ""))
    assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user), f"{name}: numeric non-root uid, not {user}"
    image_user = dockerfile.final.all("USER")[-1]
    assert user.split(":")[0] == image_user.split(":")[0], "compose and Dockerfile uids differ"


def test_every_dockerdeployer_service_is_non_root(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in _our_services(services).items():
        assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", str(svc.get("user", ""))), name


@pytest.mark.parametrize("name", DEFAULT)
def test_healthchecks_are_present(services: dict[str, dict[str, Any]], name: str) -> None:
    check = services[name].get("healthcheck")
    assert isinstance(check, dict) and check.get("test"), f"{name} has no healthcheck"
    assert not check.get("disable"), f"{name} healthcheck disabled"
    assert check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: healthcheck test {check['test']}"


def test_api_healthcheck_probes_the_health_route(services: dict[str, dict[str, Any]]) -> None:
    assert "/api/health" in " ".join(services["api"]["healthcheck"]["test"])


def test_ui_waits_for_a_healthy_api(services: dict[str, dict[str, Any]]) -> None:
    depends = services["ui"].get("depends_on")
    assert isinstance(depends, dict) and "api" in depends, "ui must depend on api"
    assert depends["api"].get("condition") == "service_healthy"
    assert str(_env(services["ui"]).get("DOCKERDEPLOYER_API_URL", "")).startswith("http://api:")


def test_own_containers_are_labelled_so_the_guard_protects_them(
    services: dict[str, dict[str, Any]],
) -> None:
    policy = Policy()
    for name, svc in services.items():
        labels = _labels(svc)
        assert SELF_LABEL in labels, f"{name} lacks the {SELF_LABEL} label"
        target = Target(kind="container", id="0" * 12, name=name, labels=labels)
        assert policy.protection_reason(target), f"the guard would not protect {name}"


@pytest.mark.parametrize("name", DEFAULT)
def test_read_only_root_no_new_privileges_no_capabilities(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    svc = services[name]
    assert svc.get("read_only") is True, f"{name}: read_only root filesystem"
    assert any(
        re.fullmatch(r"no-new-privileges(:true)?", str(opt)) for opt in svc.get("security_opt", [])
    ), f"{name}: no-new-privileges"
    assert [str(c).upper() for c in svc.get("cap_drop", [])] == ["ALL"], f"{name}: cap_drop ALL"
    assert not svc.get("privileged"), name
    assert not svc.get("cap_add"), name
    tmpfs = svc.get("tmpfs") or []
    assert any(str(t).split(":")[0] == "/tmp" for t in tmpfs), f"{name}: writable /tmp (tmpfs)"


def test_proxy_side_is_hardened_too(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in services.items():
        assert svc.get("read_only") is True, f"{name}: read_only"
        assert any("no-new-privileges" in str(o) for o in svc.get("security_opt", [])), name


def test_state_lives_in_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    home = _env(services["api"]).get("DOCKERDEPLOYER_HOME")
    assert home, "api must set DOCKERDEPLOYER_HOME"
    named = {src for src, target, _ in volume_sources(services["api"]) if target == home}
    assert named, f"nothing is mounted at DOCKERDEPLOYER_HOME ({home})"
    (source,) = named
    assert not source.startswith(("/", ".", "~")), "state must be a named volume, not a bind"
    assert source in (compose.get("volumes") or {}), f"volume {source!r} not declared"


def test_required_secrets_fail_loudly(services: dict[str, dict[str, Any]]) -> None:
    secret = str(_env(services["api"]).get("DOCKERDEPLOYER_JWT_SECRET", ""))
    assert secret.startswith("${DOCKERDEPLOYER_JWT_SECRET:?"), "JWT secret must be required"


def test_ports_are_published_on_loopback_by_default(services: dict[str, dict[str, Any]]) -> None:
    for name in DEFAULT:
        ports = [str(p) for p in services[name].get("ports", [])]
        assert ports, f"{name} publishes no port"
        for port in ports:
            assert port.startswith(("127.0.0.1:", "${DOCKERDEPLOYER_BIND:-127.0.0.1}:")), port


def test_api_binds_all_interfaces_inside_its_container(
    services: dict[str, dict[str, Any]],
) -> None:
    command = services["api"].get("command") or []
    assert command[:2] == ["dockerdeployer", "serve"] and "0.0.0.0" in command
    assert "--server.address=0.0.0.0" in (services["ui"].get("command") or [])


def test_proxy_profile_gives_the_api_no_socket(services: dict[str, dict[str, Any]]) -> None:
    proxied = {n: s for n, s in services.items() if PROXY_PROFILE in (s.get("profiles") or [])}
    assert "socket-proxy" in proxied, "the optional socket-proxy profile is gone"
    api = proxied.get("api-proxied")
    assert api, "the proxy profile needs an API that uses it"
    assert not mounts_socket(api) and not api.get("group_add")
    host = str(_env(api).get("DOCKERDEPLOYER_DOCKER_HOST"))
    assert host.startswith("tcp://socket-proxy:"), host
    proxy_env = {k: str(v) for k, v in _env(proxied["socket-proxy"]).items()}
    for endpoint in ("BUILD", "SECRETS", "PLUGINS", "SYSTEM"):  # never needed by the tools
        assert proxy_env.get(endpoint, "0") == "0", f"socket proxy allows {endpoint}"
    assert proxy_env.get("CONTAINERS") == "1"


def test_proxy_limits_are_documented(compose_text: str) -> None:
    text = " ".join(line.strip().lstrip("#").strip() for line in compose_text.splitlines())
    assert "not by request body" in text, "say that the proxy filters URLs, not bodies"
    assert "the guard" in text


# --- Dockerfile ----------------------------------------------------------------------------------


def test_base_image_is_a_build_argument(dockerfile: Dockerfile) -> None:
    args = [a for kw, a in dockerfile.pre_from if kw == "ARG"]
    assert any(a.split("=")[0] == "BASE_IMAGE" for a in args), "ARG BASE_IMAGE before FROM"
    assert dockerfile.stages[0].base in ("${BASE_IMAGE}", "$BASE_IMAGE")


def test_multi_stage_with_a_runtime_only_final_stage(dockerfile: Dockerfile) -> None:
    assert len(dockerfile.stages) >= 2, "multi-stage build"
    final = dockerfile.final
    for run in final.all("RUN"):
        assert not re.search(r"\b(pip|apt-get|apt|gcc|make)\b", run), f"final stage runs {run}"
    for copy in final.all("COPY") + final.all("ADD"):
        assert "--from=" in copy, f"final stage copies from the context: {copy}"
        assert "wheel" not in copy, f"the wheelhouse must not reach the final image: {copy}"
    build_tools = r"\b(build-essential|gcc|g\+\+|make|python3-dev|python3-pip|python3-venv|git)\b"
    runtime = {s.name for s in dockerfile.stages} & {final.base} or {None}
    for stage in dockerfile.stages:
        if stage.name in runtime:  # what the final stage is built FROM ships too
            for run in stage.all("RUN"):
                assert not re.search(build_tools, run), f"build tools in {stage.name}: {run}"


def test_final_user_is_a_numeric_non_root_uid(dockerfile: Dockerfile) -> None:
    users = dockerfile.final.all("USER")
    assert users, "final stage has no USER"
    assert re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]), f"USER {users[-1]}: numeric, not 0"


def test_image_has_a_healthcheck(dockerfile: Dockerfile) -> None:
    checks = dockerfile.final.all("HEALTHCHECK")
    assert checks and "NONE" not in checks[-1].upper(), "final stage has no HEALTHCHECK"
    assert "/api/health" in checks[-1]


def test_dockerignore_keeps_the_source_tree_out() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] in ("*", "**"), ".dockerignore should exclude everything by default"
    assert all(not line.startswith("!") or "wheels" in line for line in lines), lines


def test_dockerfile_parser_sees_what_it_should() -> None:
    parsed = parse_dockerfile(
        "ARG BASE_IMAGE=x\nFROM ${BASE_IMAGE} AS a\nRUN a \\\n  # c\n  && b\nFROM a\nUSER 1:1\n"
    )
    assert [s.name for s in parsed.stages] == ["a", None]
    assert parsed.stages[0].all("RUN") == ["a  && b"]
    assert parsed.final.all("USER") == ["1:1"]


# --- the build script ----------------------------------------------------------------------------


def test_build_script_is_valid_bash_and_caches_the_base_image() -> None:
    script = ROOT / "scripts" / "build-image.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "docker image inspect" in text and "debootstrap" in text and "docker import" in text
    assert "--no-index" in (ROOT / "Dockerfile").read_text()


# --- the real compose tool, when there is one (no engine needed) ---------------------------------


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def _config(extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor docker compose is installed")
    with tempfile.NamedTemporaryFile("w", suffix=".env", delete=False) as empty:
        env_file = empty.name
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_GID",)}
    env.update(extra_env)
    try:
        return subprocess.run(
            # --env-file (empty): a developer's .env must not change what is tested.
            [*command, "--env-file", env_file, "-f", str(COMPOSE), *args, "config"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=ROOT,
        )
    finally:
        os.unlink(env_file)


def test_compose_tool_accepts_the_file_and_the_proxy_profile() -> None:
    env = {"DOCKER_GID": "999", "DOCKERDEPLOYER_JWT_SECRET": "s" * 40}
    default = _config(env)
    assert default.returncode == 0, default.stderr
    assert "group_add" in default.stdout and "999" in default.stdout
    proxied = _config(env, "--profile", PROXY_PROFILE)
    assert proxied.returncode == 0, proxied.stderr
    assert "tcp://socket-proxy:2375" in proxied.stdout
    shared = _config({**env, "DOCKERDEPLOYER_PG_PASSWORD": "pw" * 8}, "--profile", SHARED_PROFILE)
    assert shared.returncode == 0, shared.stderr
    assert "postgresql://dockerdeployer:pwpwpwpwpwpwpwpw@postgres:5432/" in shared.stdout


def test_the_shared_profile_runs_replicas_on_postgresql_behind_one_port(
    services: dict[str, dict[str, Any]],
) -> None:
    shared = {n: s for n, s in services.items() if SHARED_PROFILE in (s.get("profiles") or [])}
    assert set(shared) == {"postgres", "api-shared", "api-lb", "ui-shared"}
    api = shared["api-shared"]
    assert str(api["deploy"]["replicas"]).startswith("${DOCKERDEPLOYER_REPLICAS:-2}")
    assert "ports" not in api, "replicas are reached through api-lb, the one published port"
    assert _env(api)["DOCKERDEPLOYER_DATABASE_URL"].startswith("postgresql://")
    assert str(_env(api)["DOCKERDEPLOYER_JWT_SECRET"]).startswith("${DOCKERDEPLOYER_JWT_SECRET:?")
    assert [p for s in shared.values() for p in s.get("ports", [])] == [
        "${DOCKERDEPLOYER_BIND:-127.0.0.1}:${DOCKERDEPLOYER_API_PORT:-8000}:8000",
        "${DOCKERDEPLOYER_BIND:-127.0.0.1}:${DOCKERDEPLOYER_UI_PORT:-8501}:8501",
    ]
    assert "db" in shared["postgres"]["networks"] and "ports" not in shared["postgres"]
    assert shared["ui-shared"]["environment"]["DOCKERDEPLOYER_API_URL"] == "http://api-lb:8000"
    # nginx's own variables are escaped from Compose's interpolation ($$remote_addr), and SSE
    # responses are passed through unbuffered.
    conf = shared["api-lb"]["environment"]["NGINX_CONF"]
    assert not re.search(r"(?<!\$)\$(?!\$)", conf.replace("$$", "")), "unescaped $ in NGINX_CONF"
    assert "proxy_buffering off;" in conf and "location /mcp" in conf


def test_compose_tool_refuses_to_start_without_the_socket_gid() -> None:
    result = _config({"DOCKERDEPLOYER_JWT_SECRET": "s" * 40})
    assert result.returncode != 0
    assert f"export DOCKER_GID=$(stat -c %g {SOCKET})" in result.stderr


def test_compose_tool_refuses_to_start_without_the_jwt_secret() -> None:
    result = _config({"DOCKER_GID": "999"})
    assert result.returncode != 0
    assert "DOCKERDEPLOYER_JWT_SECRET" in result.stderr
