"""API fixtures: one app per test module over the real engine, a scripted chat model, and
module-scoped users, bot tokens and login tokens (as in the FastAPI full-stack template)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.services import Services
from dockerdeployer.wiring import build_services
from foundation.settings import Settings
from tests.api.helpers import ScriptedModel, bearer
from tests.conftest import ContainerFactory

ROLES = ("viewer", "operator", "admin")
USERS = {"viewer": "victor", "operator": "oscar", "admin": "alice"}
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/api/" in str(item.path):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="module")
def api_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api") / "home"


@pytest.fixture(scope="module")
def api_settings(api_home: Path, database_factory: Any) -> Settings:
    # A short follow cap: a fuzzed ref that happens to match a running container's ID prefix
    # must not hold the run for an hour.
    return Settings(
        home=api_home, database_url=database_factory(), follow_seconds_max=5, _env_file=None
    )


@pytest.fixture(scope="module")
def model() -> ScriptedModel:
    return ScriptedModel()


@pytest.fixture(autouse=True)
def _fresh_script(request: pytest.FixtureRequest) -> Iterator[None]:
    """Nothing one test scripted leaks into the next."""
    yield
    if "model" in request.fixturenames:
        request.getfixturevalue("model").reset()


@pytest.fixture(scope="module")
def services(api_settings: Settings, model: ScriptedModel, test_image: str) -> Services:
    services = build_services(api_settings, model=model)
    for role, name in USERS.items():
        services.accounts.add_user(name, PASSWORD, role)
    return services


@pytest.fixture(scope="module")
def client(services: Services) -> Iterator[TestClient]:
    # raise_server_exceptions=False: a 500 must show up as a response the test can assert on.
    with TestClient(create_app(services=services), raise_server_exceptions=False) as test_client:
        yield test_client


def login(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


@pytest.fixture(scope="module")
def user_headers(client: TestClient) -> dict[str, dict[str, str]]:
    """Role -> Authorization header of a signed-in user with that role."""
    return {role: login(client, name) for role, name in USERS.items()}


@pytest.fixture(scope="module")
def bot_headers(services: Services) -> dict[str, dict[str, str]]:
    """Role -> Authorization header of a bot token with that role."""
    return {
        role: bearer(services.accounts.create_token(f"bot-{role}", role, "alice")["token"])
        for role in ROLES
    }


@pytest.fixture(scope="module")
def principals(
    user_headers: dict[str, dict[str, str]], bot_headers: dict[str, dict[str, str]]
) -> dict[str, dict[str, str]]:
    """'user:viewer', 'bot:admin', ... -> headers."""
    return {
        **{f"user:{role}": headers for role, headers in user_headers.items()},
        **{f"bot:{role}": headers for role, headers in bot_headers.items()},
    }


@pytest.fixture(scope="module")
def module_container(
    docker_client: docker.DockerClient, test_image: str
) -> Iterator[ContainerFactory]:
    """Like make_container, but lives for the whole module (for tests that only read it, or
    whose requests stay pending)."""
    factory = ContainerFactory(docker_client, test_image, prefix="m")
    yield factory
    factory.cleanup()

