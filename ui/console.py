"""Page setup, sign-in gate, sidebar and the current page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui import session, sidebar
from ui.views import VIEWS, login

# A local file: a `:material/...:` page icon makes the browser fetch it from fonts.gstatic.com.
ICON = Path(__file__).resolve().parent / "assets" / "icon.svg"


def main() -> None:
    # A console for operators, not a Streamlit playground: no "Deploy" button, and a bug that
    # escapes `session.guarded` still shows no traceback in the browser (the log has it).
    st.set_option("client.toolbarMode", "minimal")
    st.set_option("client.showErrorDetails", "none")
    st.set_page_config(
        page_title="DockerDeployer",
        page_icon=str(ICON) if ICON.exists() else "🐳",
        layout="wide",
        menu_items={"About": "DockerDeployer: operate Docker in plain words, with approvals."},
    )
    session.init()
    session.guarded(_body)


def _body() -> None:
    if not session.signed_in():
        login.render()
        return
    wanted = st.query_params.get("page")
    if wanted in VIEWS and "_page_from_url" not in st.session_state:
        st.session_state[session.PAGE] = wanted  # a deep link, honoured once per session
    st.session_state["_page_from_url"] = True
    page = sidebar.render()
    if st.query_params.get("page") != page:
        st.query_params["page"] = page
    api = session.api()
    session.guarded(lambda: VIEWS[page].render(api))
