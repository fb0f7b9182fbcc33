"""Sign in: a user name and password against POST /api/auth/login; the token stays in this
browser session only."""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.client import ApiClient, ApiError
from ui.health import fetch_health
from ui.safe_text import escape_markdown


def _sign_in() -> None:
    state = st.session_state
    username = (state.get("login_username") or "").strip()
    password = state.get("login_password") or ""
    if not username or not password:
        state["login_error"] = "Enter your user name and password."
        return
    client = ApiClient(state[session.API_URL])
    try:
        token = client.login(username, password)
        client.token = token.token
        me = client.me()
    except ApiError as exc:
        state["login_error"] = exc.detail[0].upper() + exc.detail[1:]
        return
    finally:
        client.close()
    state["login_error"] = None
    state["login_password"] = ""
    session.sign_in(token, me)


def render() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(":material/deployed_code: DockerDeployer")
        st.markdown(
            "Operate Docker in plain words. Every change is **previewed**, waits for an "
            "authorised person's **approval**, and is **audited**."
        )
        health = fetch_health(st.session_state[session.API_URL])
        if health.get("status") == "unreachable":
            st.error(escape_markdown(str(health.get("detail"))), icon=":material/cloud_off:")
        notice = st.session_state.get(session.NOTICE)
        if notice:
            st.warning(escape_markdown(notice), icon=":material/lock_clock:")
        error = st.session_state.get("login_error")
        if error:
            st.error(escape_markdown(error), icon=":material/error:")
        with st.form("login", border=True):
            st.text_input("User name", key="login_username", autocomplete="username")
            st.text_input(
                "Password", key="login_password", type="password", autocomplete="current-password"
            )
            st.form_submit_button("Sign in", type="primary", on_click=_sign_in, width="stretch")
        api_url = escape_markdown(st.session_state[session.API_URL])
        st.caption(
            f"API: {api_url}. First start? `dockerdeployer up` prints the `admin` password "
            "once; add people with `dockerdeployer users add NAME --role operator`."
        )
