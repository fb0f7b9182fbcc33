"""Signing in and out, expiry and revocation: always a readable message, never a traceback."""

from __future__ import annotations

import time
from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from tests.live_server import free_port
from tests.ui.conftest import APP
from tests.ui.helpers import alerts, assert_clean, button, shown_text
from tests.ui.live import PASSWORD, USERS, LiveApi


def login_form(api_url: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["api_url"] = api_url
    return at.run()


def submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    return button(at, "Sign in").click().run()


def test_first_screen_is_the_sign_in_form(live_api: LiveApi) -> None:
    at = login_form(live_api.url)
    assert_clean(at)
    assert "DockerDeployer" in at.title[0].value
    assert "dockerdeployer users add" in shown_text(at)
    assert not at.sidebar.radio  # nothing else is reachable before signing in


def test_wrong_password_is_a_readable_error(live_api: LiveApi) -> None:
    at = submit(login_form(live_api.url), USERS["operator"], "wrong-password")
    assert_clean(at)
    assert alerts(at) == ["Wrong user name or password"]
    assert at.session_state["token"] is None


def test_sign_in_shows_the_console_with_engine_and_model(live_api: LiveApi) -> None:
    at = submit(login_form(live_api.url), USERS["operator"], PASSWORD)
    assert_clean(at)
    assert at.session_state["token"]
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "oscar" in sidebar and "operator" in sidebar
    assert "Model:" in sidebar
    assert any("reachable" in str(s.value) for s in at.sidebar.success)
    assert at.title[0].value == "Chat"
    assert at.session_state["login_password"] == ""  # not kept around after use


def test_sign_out_returns_to_the_form(new_app: Callable[..., AppTest]) -> None:
    at = new_app("viewer")
    button(at.sidebar, "Sign out").click().run()
    assert at.session_state["token"] is None
    assert "Signed out." in alerts(at, "warning")


def test_expired_session_asks_to_sign_in_again(new_app: Callable[..., AppTest]) -> None:
    at = new_app("viewer")
    at.session_state["expires_at"] = time.time() - 1
    at.run()
    assert_clean(at)
    assert alerts(at, "warning") == ["Your session expired. Please sign in again."]


def test_revoked_token_goes_back_to_sign_in(
    new_app: Callable[..., AppTest], live_api: LiveApi
) -> None:
    at = new_app("viewer", page="containers")
    token = at.session_state["token"]
    from ui.client import ApiClient

    ApiClient(live_api.url, token).logout()
    at.run()
    assert_clean(at)
    assert at.session_state["token"] is None
    notice = alerts(at, "warning")[0]
    assert "this token was signed out" in notice and "sign in again" in notice


def test_api_down_is_explained_on_the_form() -> None:
    at = login_form(f"http://127.0.0.1:{free_port()}")
    assert_clean(at)
    assert alerts(at)[0].startswith("cannot reach the API at http://127.0.0.1:")
    assert "dockerdeployer serve" in alerts(at)[0]
    at = submit(at, "oscar", "whatever-password")
    assert_clean(at)
    assert alerts(at)[1].startswith("Cannot reach the API")
