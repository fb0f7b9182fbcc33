"""Every engine request of the product passes the engine boundary: proved on the source.

- Docker clients are made in one place (`tools.guard.boundary.guarded_client`, used by
  `tools.engine.Engine`); no other module constructs an SDK client.
- CLIs that talk to an engine are spawned only by `DockerManager.run_cli` (which points them
  at the filtering socket); `tools.compose_cli` only probes the CLI's version (no engine).
- The client that `Engine` builds really is the guarded one, even when it is built from a
  client made elsewhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

import docker
import pytest

from tools.engine import Engine
from tools.guard.boundary import GuardedAPIClient

PACKAGES = ("agent", "api", "tools", "ui", "dockerdeployer")
ROOT = Path(__file__).resolve().parents[2]
CLIENT_FACTORIES = {"from_env", "DockerClient", "APIClient"}
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}


def product_modules() -> list[Path]:
    return [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]


def calls(path: Path) -> list[tuple[str, str, int]]:
    """(object, attribute, line) of every `x.y(...)` call in the module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else ast.unparse(owner)
            found.append((name, node.func.attr, node.lineno))
    return found


def test_only_the_boundary_makes_docker_clients():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {owner}.{attr}"
        for path in product_modules()
        for owner, attr, line in calls(path)
        if owner in ("docker", "docker.api", "docker.client") and attr in CLIENT_FACTORIES
    ]
    assert offenders == []
    boundary = (ROOT / "tools/guard/boundary.py").read_text(encoding="utf-8")
    assert "GuardedAPIClient(**kwargs)" in boundary


def test_only_the_manager_spawns_engine_clis():
    spawners = {
        str(path.relative_to(ROOT))
        for path in product_modules()
        for owner, attr, _ in calls(path)
        if owner == "subprocess" and attr in SUBPROCESS_CALLS
    }
    # server_cli starts the console (streamlit), which talks to the API, never to an engine.
    assert spawners == {
        "tools/manager.py", "tools/compose_cli.py", "dockerdeployer/server_cli.py"
    }
    probe = (ROOT / "tools/compose_cli.py").read_text(encoding="utf-8")
    assert probe.count("subprocess.run(") == 1 and '"version", "--short"' in probe
    server_cli = (ROOT / "dockerdeployer/server_cli.py").read_text(encoding="utf-8")
    assert "docker" not in server_cli.split("def _ui_process", 1)[1].split("\ndef ", 1)[0]


@pytest.mark.parametrize("host", [None, "unix:///tmp/nowhere.sock", "tcp://127.0.0.1:1"])
def test_every_engine_client_is_guarded(host, monkeypatch):
    built: list[GuardedAPIClient] = []
    real_init = GuardedAPIClient.__init__

    def init(self, *args, **kwargs):  # no engine here: skip the version handshake
        kwargs["version"] = "1.43"
        real_init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(GuardedAPIClient, "__init__", init)
    engine = Engine(host=host)
    assert isinstance(engine.api, GuardedAPIClient) and built == [engine.api]
    assert engine.api.boundary is not None


def test_an_engine_made_from_another_client_does_not_use_that_client():
    raw = docker.DockerClient(base_url="unix:///tmp/nowhere.sock", version="1.43")
    engine = Engine.from_client(raw)
    assert engine.host == "unix:///tmp/nowhere.sock"
    assert engine._client is None  # built, guarded, on first use


# The engine's own plumbing, and the bench's scenario set-up (it plays the world outside the
# assistant, like a test's own client, and still goes through the guarded client).
ENGINE_PLUMBING = {
    "tools/manager.py", "tools/engine.py", "tools/guard/boundary.py",
    "tools/guard/engine_proxy.py", "dockerdeployer/bench/fixtures.py",
    "dockerdeployer/bench/compose_fixtures.py", "dockerdeployer/bench/harness.py",
}  # fmt: skip


def test_no_engine_call_outside_the_manager():
    """Everything else goes through DockerManager (the EngineClient protocol): one error path,
    one host per call, and a seam where an in-memory engine fits."""
    offenders = []
    for path in product_modules():
        name = str(path.relative_to(ROOT))
        if name in ENGINE_PLUMBING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "api":
                owner = ast.unparse(node.value)
                if owner.endswith("engine") or owner.endswith(".engine"):
                    offenders.append(f"{name}:{node.lineno} {owner}.api")
            if isinstance(node, ast.Name) and node.id == "engine_errors":
                offenders.append(f"{name}:{node.lineno} engine_errors")
    assert offenders == []
