"""The console in a real browser: sign in, ask in chat, approve on the card, see the result, and
check on the engine that the container restarted exactly once; a viewer is refused, readably."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import docker
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.conftest import restart_count
from tests.e2e.conftest import ARTIFACTS, ROOT
from tests.ui.live import PASSWORD, USERS

# Slow tier (`make test-all`): a Streamlit server and headless Chromium, about 10 s a test, and
# the browser itself is an apt install on a fresh machine.
pytestmark = pytest.mark.slow

README_SHOT = ROOT / "docs" / "console-approval.png"
# The README's picture is written when missing, or on request (it differs on every run).
UPDATE_README_SHOT = os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1" or not README_SHOT.exists()
T = TypeVar("T")


def retried_after_network_change(flow: Callable[[], T], network_changes: list[str]) -> T:
    """Run a browser flow; run it once more only if Chromium reported ERR_NETWORK_CHANGED
    (an engine-wide veth change, not the console) while it failed."""
    try:
        return flow()
    except (PlaywrightError, AssertionError):
        if not network_changes:
            raise
        warnings.warn(
            f"retried: Chromium aborted {len(network_changes)} request(s) with "
            "ERR_NETWORK_CHANGED (a container started or stopped on the engine)",
            stacklevel=2,
        )
        network_changes.clear()
        return flow()


def open_console(page: Any, url: str, attempts: int = 3) -> None:
    """Load the console; reload if the first paint never came (an aborted script load)."""
    for attempt in range(attempts):
        page.goto(url)
        try:
            page.get_by_label("User name").wait_for(timeout=10_000)
            return
        except PlaywrightError:
            if attempt == attempts - 1:
                raise


def sign_in(page: Any, url: str, role: str) -> None:
    open_console(page, url)
    page.get_by_label("User name").fill(USERS[role])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {USERS[role]}").wait_for()


def ask(page: Any, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def search(page: Any, text: str, attempts: int = 3) -> None:
    """Type into the Containers search box until the table shows just that one container."""
    box = page.get_by_role("textbox", name="Search")
    for attempt in range(attempts):
        box.fill(text)
        box.press("Enter")
        try:
            page.get_by_text("1 shown").wait_for(timeout=8_000)
            return
        except PlaywrightError:
            if attempt == attempts - 1:
                raise


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def restarts_since(client: docker.DockerClient, container_id: str, since: float) -> int:
    """The engine's own record: `restart` events for the container (whole-second bounds, so
    `until` is the next second and the call returns when it has passed)."""
    events = client.api.events(
        since=int(since),
        until=int(time.time()) + 1,
        filters={"container": container_id, "event": "restart"},
        decode=True,
    )
    return sum(1 for _ in events)


def test_operator_restarts_through_an_approval_card(
    page: Any,
    console_url: str,
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
    network_changes: list[str],
) -> None:
    def flow() -> tuple[Any, str, float]:
        # No network: its own start and restart add no veth pair to upset the browser.
        container = make_container("e2e-web", network_mode="none")
        started_before = restart_count(docker_client, container.id)
        since = time.time()

        sign_in(page, console_url, "operator")
        ask(page, f"restart {container.name}")

        card = page.locator("[class*='st-key-approval_']").first
        card.get_by_text("Approval needed").wait_for()
        card.get_by_text(f"docker restart -t 10 {container.name}").wait_for()
        card.get_by_text(container.id[:12]).first.wait_for()  # the target, resolved by ID
        assert page.get_by_test_id("stChatInputTextArea").is_disabled()
        assert restart_count(docker_client, container.id) == started_before  # nothing ran yet
        shot(page, "chat-approval-card")
        if UPDATE_README_SHOT:
            README_SHOT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(README_SHOT))

        card.get_by_role("button", name="Approve").click()
        reply = page.get_by_test_id("stChatMessageContent").filter(visible=True)
        reply.filter(has_text=f"restarted {container.name}").last.wait_for()
        page.get_by_test_id("stChatInputTextArea").wait_for(state="visible")
        assert not page.get_by_test_id("stChatInputTextArea").is_disabled()
        assert page.locator("[class*='st-key-approval_']").count() == 0
        shot(page, "chat-approved")
        return container, started_before, since

    container, started_before, since = retried_after_network_change(flow, network_changes)
    assert restart_count(docker_client, container.id) != started_before
    assert restarts_since(docker_client, container.id, since) == 1


def test_viewer_is_refused_with_a_readable_message(
    page: Any,
    console_url: str,
    make_container: Callable[..., Any],
    docker_client: docker.DockerClient,
    network_changes: list[str],
) -> None:
    container = make_container("e2e-view", network_mode="none")
    started_before = restart_count(docker_client, container.id)

    def flow() -> None:
        sign_in(page, console_url, "viewer")
        ask(page, f"restart {container.name}")
        page.get_by_text(f"restart_container {container.name} · refused").last.wait_for()
        refusal = page.get_by_test_id("stChatMessageContent").filter(visible=True)
        refusal.filter(has_text="may not run restart_container").last.wait_for()
        assert page.locator("[class*='st-key-approval_']").count() == 0
        shot(page, "viewer-chat-refused")

        page.get_by_test_id("stSidebar").get_by_text("Containers").click()
        page.get_by_text(" in all").wait_for()  # the page is drawn: its search box is live
        search(page, container.name)
        # Act only once the filtered page is drawn: the picker then holds our container.
        expect(page.get_by_role("combobox", name="Container")).to_have_value(container.name)
        page.get_by_role("button", name="Restart").click()
        alert = page.get_by_test_id("stAlert").filter(
            has_text=f"Could not restart {container.name}"
        )
        alert.wait_for()
        assert "needs operator" in alert.inner_text()
        shot(page, "viewer-containers-refused")

    retried_after_network_change(flow, network_changes)
    assert restart_count(docker_client, container.id) == started_before
