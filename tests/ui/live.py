"""A real API process for console tests: uvicorn on a free 127.0.0.1 port, a temporary
DOCKERDEPLOYER_HOME, one user per role, the real engine, and the offline planner when it can
plan "restart NAME" (else a scripted model that can)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.main import create_app
from api.services import Services
from dockerdeployer.wiring import build_services
from foundation.settings import Settings

PASSWORD = "console-test-password"
USERS = {"admin": "alice", "operator": "oscar", "viewer": "victor"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def offline_planner_ready() -> bool:
    """True when agent.planner understands 'restart NAME' (it is being written alongside)."""
    try:
        from agent.planner import ContainerBrief, plan_request

        plan = plan_request("restart web", [ContainerBrief("web", "busybox", "running")])
        return plan.kind == "calls" and plan.steps[0][0].tool == "restart_container"
    except Exception:  # any failure means "not ready": fall back to the scripted model
        return False


def console_model() -> Any:
    """None (the default offline model) when the planner is ready; else the scripted one.
    CONSOLE_TEST_MODEL=scripted forces the scripted model."""
    if os.environ.get("CONSOLE_TEST_MODEL") != "scripted" and offline_planner_ready():
        return None
    from tests.ui.scripted_model import ScriptedConsoleModel

    return ScriptedConsoleModel()


@dataclass
class LiveApi:
    url: str
    home: Path
    services: Services

    def token(self, role: str) -> str:
        response = httpx.post(
            f"{self.url}/api/auth/login",
            json={"username": USERS[role], "password": PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


@contextlib.contextmanager
def run_api(home: Path, model: Any = None) -> Iterator[LiveApi]:
    # Many sign-ins from one address in a test run: keep the limiter out of the way.
    settings = Settings(home=home, login_attempts=1000, _env_file=None)  # type: ignore[call-arg]
    services = build_services(settings, model=model)
    for role, name in USERS.items():
        services.accounts.add_user(name, PASSWORD, role)
    port = free_port()
    config = uvicorn.Config(
        create_app(services=services), host="127.0.0.1", port=port, log_level="warning",
        access_log=False, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    try:
        yield LiveApi(f"http://127.0.0.1:{port}", home, services)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
