"""End-to-end fixtures: the real API (in-process uvicorn, real engine), the real Streamlit
server (a subprocess) and headless Debian Chromium driven by Playwright.

Chromium comes from Debian (`apt-get install -y chromium`); `playwright install` is never run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import free_port, stop_process, wait_for_http
from tests.ui.live import LiveApi, console_model, run_api

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "ui" / "app.py"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="session")
def e2e_api(tmp_path_factory: pytest.TempPathFactory, test_image: str) -> Iterator[LiveApi]:
    with run_api(tmp_path_factory.mktemp("e2e-home"), model=console_model()) as api:
        yield api


@pytest.fixture(scope="session")
def console_url(e2e_api: LiveApi, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run ui/app.py` on a free port, as `dockerdeployer ui` starts it."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {**os.environ, "DOCKERDEPLOYER_API_URL": e2e_api.url, "HOME": str(log_path.parent)}
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        failed = wait_for_http(f"{url}/_stcore/health", process, 60, lambda r: r.text == "ok")
        if failed:
            pytest.fail(f"streamlit {failed}:\n{log_path.read_text()[-3000:]}")
        yield url
    finally:
        stop_process(process, timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's browser with `apt-get install -y chromium` "
            "(never `playwright install`)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def network_changes() -> list[str]:
    """Requests Chromium aborted with ERR_NETWORK_CHANGED. Chromium aborts in-flight requests
    (loopback too) whenever an interface appears or goes, and Docker adds a veth pair for every
    container started anywhere on this engine; a step that failed after one may be retried."""
    return []


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, network_changes: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(20_000)
    tab = context.new_page()

    def failed(req: Any) -> None:
        if "ERR_NETWORK_CHANGED" in str(req.failure):
            network_changes.append(req.url)

    tab.on("requestfailed", failed)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-last.png"), full_page=True)
    context.close()
