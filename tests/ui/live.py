"""A real API process for console tests: uvicorn on a free 127.0.0.1 port, a temporary
DOCKERDEPLOYER_HOME, one user per role, the real engine, and the offline planner when it can
plan "restart NAME" (else a scripted model that can)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api.main import create_app
from api.services import Services
from dockerdeployer.wiring import build_services
from foundation.settings import Settings
from tests.live_server import served

PASSWORD = "console-test-password"
USERS = {"admin": "alice", "operator": "oscar", "viewer": "victor"}


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
    with served(create_app(services=services), "live-api") as url:
        yield LiveApi(url, home, services)
