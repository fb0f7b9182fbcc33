"""The shared-service tier: PostgreSQL (a throw-away cluster, tests/pg.py) and API replicas.

Everything here is marked `postgres` and `slow` (tests/conftest.py): `make test-all` runs it,
`make test` does not. A replica is a real `dockerdeployer serve` process with a home of its
own; replicas share only the database URL and the JWT secret, as a deployment's would.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.accounts import Accounts
from foundation.db import make_sessionmaker, open_database
from tests.live_server import free_port, stop_process, wait_for_http

PASSWORD = "correct horse battery staple"
USERS = {"viewer": "victor", "operator": "oscar", "admin": "alice", "admin2": "ada"}


@pytest.fixture
def pg_url(pg_cluster: Any) -> str:
    """A migrated PostgreSQL database of this test's own."""
    return str(pg_cluster.new_database())


@pytest.fixture
def empty_pg_url(pg_cluster: Any) -> str:
    """A PostgreSQL database with nothing in it (for the migrations' own tests)."""
    return str(pg_cluster.new_database(migrated=False))


class Replica:
    """One API process: `dockerdeployer serve` on a free loopback port."""

    def __init__(self, name: str, home: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = home.parent / f"{name}.log"
        home.mkdir(parents=True)
        cli = Path(sys.executable).with_name("dockerdeployer")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(cli), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env={**env, "DOCKERDEPLOYER_HOME": str(home)},
                cwd=home,  # no stray .env from the repository
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_up(self, timeout: float = 90) -> None:
        failed = wait_for_http(f"{self.base}/api/health", self.process, timeout)
        if failed:
            raise AssertionError(f"replica {self.name} {failed}:\n{self.log.read_text()}")

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=120)

    def stop(self) -> None:
        stop_process(self.process, timeout=20)


class Service:
    """Two (or more) replicas on one PostgreSQL database, and its signed-in users."""

    def __init__(self, url: str, replicas: list[Replica]) -> None:
        self.url = url
        self.replicas = replicas
        self._tokens: dict[str, str] = {}

    def token(self, who: str) -> str:
        if who not in self._tokens:
            replica = self.replicas[len(self._tokens) % len(self.replicas)]
            response = httpx.post(
                f"{replica.base}/api/auth/login",
                json={"username": USERS[who], "password": PASSWORD},
                timeout=60,
            )
            assert response.status_code == 200, response.text
            self._tokens[who] = response.json()["access_token"]
        return self._tokens[who]

    def client(self, index: int, who: str) -> httpx.Client:
        return self.replicas[index].client(self.token(who))


@pytest.fixture(scope="module")
def service(
    pg_cluster: Any, tmp_path_factory: pytest.TempPathFactory, test_image: str
) -> Iterator[Service]:
    url = str(pg_cluster.new_database())
    accounts = Accounts(make_sessionmaker(open_database(url)))
    for role, name in USERS.items():
        accounts.add_user(name, PASSWORD, role.rstrip("2"))
    root = tmp_path_factory.mktemp("replicas")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERDEPLOYER_")}
    env.update(
        DOCKERDEPLOYER_DATABASE_URL=url,
        DOCKERDEPLOYER_JWT_SECRET=secrets.token_urlsafe(48),  # shared, as replicas need
    )
    replicas = [Replica(name, root / name / "home", env) for name in ("a", "b")]
    try:
        for replica in replicas:
            replica.wait_up()
        yield Service(url, replicas)
    finally:
        for replica in replicas:
            replica.stop()


@pytest.fixture
def both(service: Service) -> Callable[[str], tuple[httpx.Client, httpx.Client]]:
    """who -> (client on replica a, client on replica b), closed after the test."""
    opened: list[httpx.Client] = []

    def make(who: str) -> tuple[httpx.Client, httpx.Client]:
        pair = (service.client(0, who), service.client(1, who))
        opened.extend(pair)
        return pair

    yield make  # type: ignore[misc]
    for http in opened:
        http.close()
