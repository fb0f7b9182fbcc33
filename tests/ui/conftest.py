"""Console fixtures: one real API process per test session, and AppTest apps signed in to it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.live import USERS, LiveApi, console_model, run_api

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory, test_image: str) -> Iterator[LiveApi]:
    with run_api(tmp_path_factory.mktemp("console-home"), model=console_model()) as api:
        yield api


@pytest.fixture
def new_app(live_api: LiveApi) -> Callable[..., AppTest]:
    """An AppTest of ui/app.py pointed at the live API, signed in as `role` (or not at all)."""

    def make(role: str | None = "operator", page: str = "chat", **state: object) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.session_state["api_url"] = live_api.url
        at.session_state["go_to"] = page  # the console switches to it (st.switch_page)
        for key, value in state.items():
            at.session_state[key] = value
        if role is not None:
            token = live_api.token(role)
            at.session_state["token"] = token
            at.session_state["user"] = {"name": USERS[role], "role": role, "kind": "user"}
            at.session_state["expires_at"] = time.time() + 3000
        return at.run()

    return make


@pytest.fixture
def api_as(live_api: LiveApi) -> Callable[[str], httpx.Client]:
    """A plain HTTP client of the live API, signed in as `role` (to arrange or check state)."""
    clients: list[httpx.Client] = []

    def make(role: str) -> httpx.Client:
        client = httpx.Client(
            base_url=live_api.url,
            headers={"Authorization": f"Bearer {live_api.token(role)}"},
            timeout=60,
        )
        clients.append(client)
        return client

    yield make  # type: ignore[misc]
    for client in clients:
        client.close()
