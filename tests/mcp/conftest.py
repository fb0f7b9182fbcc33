"""MCP fixtures: the real API (uvicorn on 127.0.0.1 with its lifespan, so `/mcp` runs) over the
real engine, one user per role and bot tokens; the official `mcp` client over streamable HTTP
with a bearer token, or over stdio by starting `dockerdeployer mcp` on the same state
directory. `live_api` needs the engine, so tests using it are marked `integration` by the root
conftest."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult, Implementation

from api.main import create_app
from api.mcp.settings import McpSettings
from api.services import Services
from dockerdeployer.wiring import build_mcp_http, build_services
from foundation.settings import Settings
from tests.live_server import served

PASSWORD = "mcp-test-password"
USERS = {"admin": "alice", "operator": "oscar", "viewer": "victor"}
CLIENT = Implementation(name="pytest-mcp-client", version="9.9")
BIN = Path(sys.executable).parent


@dataclass
class LiveApi:
    url: str
    home: Path
    services: Services
    bots: dict[str, str]

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    def token(self, role: str) -> str:
        response = httpx.post(
            f"{self.url}/api/auth/login",
            json={"username": USERS[role], "password": PASSWORD},
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def decide(self, approval_id: str, role: str, decision: str = "approve") -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/approvals/{approval_id}",
            json={"decision": decision},
            headers={"Authorization": f"Bearer {self.token(role)}"},
            timeout=60,
        )

    def audit(self, **filters: Any) -> list[dict[str, Any]]:
        return [e.public() for e in self.services.gateway.audit.query(**filters)]


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory, test_image: str) -> Iterator[LiveApi]:
    home = tmp_path_factory.mktemp("mcp") / "home"
    settings = Settings(home=home, login_attempts=1000, _env_file=None)  # type: ignore[call-arg]
    services = build_services(settings)
    for role, name in USERS.items():
        services.accounts.add_user(name, PASSWORD, role)
    bots = {
        role: services.accounts.create_token(f"mcp-bot-{role}", role, "alice")["token"]
        for role in USERS
    }
    mcp_settings = McpSettings(_env_file=None, poll_seconds=0.3)  # type: ignore[call-arg]
    app = create_app(services, mcp=build_mcp_http(services, mcp_settings))
    with served(app, "mcp-live-api", lifespan="on") as url:  # the lifespan runs /mcp
        yield LiveApi(url, home, services, bots)


# --- clients ------------------------------------------------------------------------------------


def approve_with(decision: str, asked: list[Any] | None = None, action: str = "accept") -> Any:
    """An elicitation callback that answers like a person would (and records the question)."""

    async def answer(context: Any, params: Any) -> ElicitResult:
        if asked is not None:
            asked.append(params)
        if action != "accept":
            return ElicitResult(action=action)  # type: ignore[arg-type]
        return ElicitResult(action="accept", content={"decision": decision})

    return answer


@contextlib.asynccontextmanager
async def http_client(
    live_api: LiveApi, token: str, mode: str = "legacy", **kwargs: Any
) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=120, follow_redirects=True) as http:
        transport = streamable_http_client(live_api.mcp_url, http_client=http)
        async with Client(transport, mode=mode, client_info=CLIENT, **kwargs) as client:  # type: ignore[arg-type]
            yield client


def stdio_params(home: Path, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(BIN / "dockerdeployer"),
        args=["mcp"],
        env={
            "DOCKERDEPLOYER_HOME": str(home),
            "DOCKER_HOST": os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"),
            **env,
        },
    )


@contextlib.asynccontextmanager
async def stdio_client(home: Path, mode: str = "auto", env: dict[str, str] | None = None,
                       **kwargs: Any) -> AsyncIterator[Client]:  # fmt: skip
    params = stdio_params(home, **(env or {}))
    async with Client(params, mode=mode, client_info=CLIENT, **kwargs) as client:  # type: ignore[arg-type]
        yield client


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)
