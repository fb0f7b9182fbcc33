"""Shared fixtures. Integration tests run against the real engine; every Docker resource a test
creates carries the label `dockerdeployer.test=<run id>` and only those are removed."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings
from tools.engine import Engine
from tools.gateway import ToolGateway
from tools.guard.policy import Actor, Role

TEST_IMAGE = "dockerdeployer-test/busybox:1"
TEST_LABEL = "ddtest.run"  # not under the reserved dockerdeployer. prefix
RUN_ID = uuid.uuid4().hex[:10]
# Exits at once on SIGTERM (a bare `sleep` as PID 1 ignores it and costs a 10 s stop timeout).
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
ROOT = Path(__file__).resolve().parent.parent

# Settings must never come from a developer's real environment or .env.
for key in list(os.environ):
    if key.startswith("DOCKERDEPLOYER_") or key in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        del os.environ[key]


# --- no outbound network from tests: only loopback and unix sockets -----------------------------

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if host != "localhost" and (ip is None or not ip.is_loopback):
            raise ConnectionRefusedError(f"tests may not reach {host!r}: outbound calls blocked")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _block_outbound_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


# --- the database: SQLite by default, or PostgreSQL (--db=postgresql) -------------------------
# `pytest --db=postgresql tests/api tests/agent ...` runs the same suites with every `settings`
# on a PostgreSQL database of its own, on a throw-away cluster this session starts (tests/pg.py).
# tests/postgres/ always uses that cluster (marked `postgres` and `slow`: make test-all).


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the store every test's settings use (postgresql: a temporary local cluster)",
    )


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    from tests.pg import Cluster, PostgresUnavailable

    try:
        cluster = Cluster().start()
        cluster.prepare_template()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def database_factory(request: pytest.FixtureRequest) -> Any:
    """() -> a new database URL on the selected store, or None for the default SQLite file."""
    if request.config.getoption("--db") != "postgresql":
        return lambda: None
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database


# --- settings and actors ------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def settings(home: Path, tmp_path: Path, database_factory: Any) -> Settings:
    """The test's own temporary directory is the one bind root (its `home` below it stays
    protected, like any state directory)."""
    return Settings(
        home=home, bind_roots=[str(tmp_path)], database_url=database_factory(), _env_file=None
    )


@pytest.fixture
def admin() -> Actor:
    return Actor("alice", Role.ADMIN)


@pytest.fixture
def operator() -> Actor:
    return Actor("oscar", Role.OPERATOR)


@pytest.fixture
def viewer() -> Actor:
    return Actor("victor", Role.VIEWER)


# --- the real engine ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(version="auto", timeout=60)
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            f"no Docker engine answers ({exc}); run `make test` (it starts one) "
            "or `bash scripts/ensure-engine.sh`",
            pytrace=False,
        )
    yield client
    leftovers = client.api.containers(all=True, filters={"label": f"{TEST_LABEL}={RUN_ID}"})
    for item in leftovers:
        client.api.remove_container(item["Id"], force=True, v=True)
    for net in client.api.networks(filters={"label": f"{TEST_LABEL}={RUN_ID}"}):
        client.api.remove_network(net["Id"])
    for vol in (client.api.volumes(filters={"label": f"{TEST_LABEL}={RUN_ID}"}) or {}).get(
        "Volumes"
    ) or []:
        client.api.remove_volume(vol["Name"], force=True)
    client.close()


@pytest.fixture(scope="session")
def test_image(docker_client: docker.DockerClient) -> str:
    """The test image, built from tests/images/busybox once per session. Always built (the
    engine's layer cache makes that about a second): an image left over from an older
    Dockerfile must never be what the suite runs against. `make test` rebuilds it without the
    cache before the run (scripts/test-images.sh)."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy(busybox, Path(ctx) / "busybox")
        shutil.copy(ROOT / "tests/images/busybox/Dockerfile", Path(ctx) / "Dockerfile")
        docker_client.images.build(path=ctx, tag=TEST_IMAGE, rm=True, pull=False)
    return TEST_IMAGE


def unique(prefix: str) -> str:
    return f"ddt-{prefix}-{RUN_ID}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def labels() -> dict[str, str]:
    return {TEST_LABEL: RUN_ID}


class ContainerFactory:
    """Creates (and by default starts) labelled test containers; `cleanup` removes them."""

    def __init__(self, client: docker.DockerClient, image: str, prefix: str = "c") -> None:
        self.client = client
        self.image = image
        self.prefix = prefix
        self.created: list[str] = []

    def __call__(
        self,
        prefix: str | None = None,
        command: str | list[str] = SLEEPER,
        start: bool = True,
        labels: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        container = self.client.containers.create(
            self.image,
            command=command,
            name=kwargs.pop("name", None) or unique(prefix or self.prefix),
            labels={TEST_LABEL: RUN_ID, **(labels or {})},
            **kwargs,
        )
        self.created.append(container.id)
        if start:
            container.start()
        container.reload()
        return container

    def cleanup(self) -> None:
        for container_id in self.created:
            try:
                self.client.api.remove_container(container_id, force=True, v=True)
            except docker.errors.NotFound:
                pass


@pytest.fixture
def make_container(
    docker_client: docker.DockerClient, test_image: str
) -> Iterator[ContainerFactory]:
    """Create (and by default start) a labelled test container; removed after the test."""
    factory = ContainerFactory(docker_client, test_image)
    yield factory
    factory.cleanup()


@pytest.fixture
def cleanup_names(docker_client: docker.DockerClient) -> Iterator[list[str]]:
    """Names of containers a test asks the product to create; removed if they carry our label."""
    names: list[str] = []
    yield names
    for name in names:
        try:
            info = docker_client.api.inspect_container(name)
        except docker.errors.NotFound:
            continue
        if (info["Config"].get("Labels") or {}).get(TEST_LABEL) == RUN_ID:
            docker_client.api.remove_container(info["Id"], force=True, v=True)


@pytest.fixture
def engine(docker_client: docker.DockerClient) -> Engine:
    return Engine.from_client(docker_client)


@pytest.fixture
def gateway(settings: Settings, engine: Engine) -> ToolGateway:
    return build_gateway(settings, engine=engine)


def restart_count(client: docker.DockerClient, container_id: str) -> str:
    """StartedAt changes on every (re)start: a reliable 'how many times did it restart'."""
    return str(client.api.inspect_container(container_id)["State"]["StartedAt"])


# --- tiers --------------------------------------------------------------------------------------
# `integration`: needs a real engine. Everything under tests/integration/, and every test that
# reaches `docker_client` through its fixtures (engine, gateway, make_container, test_image,
# live_api, make_assistant, ...), is marked automatically, so `pytest -m "not integration"` runs
# with no engine at all. A test that reaches the engine some other way (a subprocess of the CLI)
# is marked by hand. `slow`: opt-in (`make test-all`), e.g. builds of the product's own image.

ENGINE_FIXTURES = frozenset({"docker_client"})
OPT_IN_TIERS = {
    "/tests/postgres/": pytest.mark.postgres,
    "/tests/model_server/": pytest.mark.model_server,
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    on_postgres = config.getoption("--db") == "postgresql"
    for item in items:
        if "/integration/" in str(item.path) or ENGINE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.integration)
        for folder, mark in OPT_IN_TIERS.items():
            if folder in str(item.path):
                item.add_marker(mark)
                item.add_marker(pytest.mark.slow)
        if on_postgres or "pg_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


# The loopback registry, for any module that asks for it (imported last: it uses the names
# above).
from tests.registry import registry  # noqa: E402, F401
