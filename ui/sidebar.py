"""The sidebar below the page menu: who is signed in, whether the engine answers, which model
plans, and signing out."""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.client import ApiError
from ui.health import fetch_health
from ui.safe_text import escape_markdown


def render_health(api_url: str) -> None:
    health = fetch_health(api_url)
    engine = health.get("engine") or {}
    if health.get("status") == "unreachable":
        st.error(escape_markdown(health.get("detail", "the API does not answer")), icon="🔌")
        return
    if engine.get("reachable"):
        version = escape_markdown(str(engine.get("version") or "?"))
        st.success(f"Docker engine {version} reachable", icon=":material/check_circle:")
    else:
        problem = escape_markdown(str(engine.get("problem") or "the engine does not answer"))
        st.error(f"Docker engine unreachable: {problem}", icon=":material/error:")
        if engine.get("fix"):
            st.caption("Fix:")
            st.code(str(engine["fix"]), language="bash")
    st.caption(f"Model: {escape_markdown(str(health.get('model') or 'unknown'))}")


def _sign_out() -> None:
    try:
        session.api().logout()
    except ApiError:
        pass  # already expired or revoked: signing out locally is what matters
    session.sign_out("Signed out.")


def render() -> None:
    """Who is signed in, whether the engine answers, signing out (the page menu is above)."""
    me = session.user()
    with st.sidebar:
        if me:
            name = escape_markdown(me["name"])
            st.caption(f"Signed in as **{name}** · {escape_markdown(me['role'])}")
        render_health(st.session_state[session.API_URL])
        st.button("Sign out", icon=":material/logout:", on_click=_sign_out, width="stretch")
