"""Page setup, the sign-in gate, the sidebar and the pages (`st.navigation`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from ui import session, sidebar
from ui.views import DEFAULT, VIEWS, View, login

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
    session.guarded(_run)


def _run() -> None:
    signed_in = session.signed_in()
    pages = {key: _page(key, view, signed_in) for key, view in VIEWS.items()}
    # Signed out, every page's URL shows the sign-in form and there is no menu; once signed in,
    # the same URL shows its page, so a link to /logs survives the sign-in.
    current = st.navigation(list(pages.values()), position="sidebar" if signed_in else "hidden")
    if signed_in:
        wanted = st.session_state.pop(session.GO_TO, None)
        if wanted in pages and pages[wanted] is not current:
            st.switch_page(pages[wanted])  # reruns on that page
        st.session_state[session.PAGE] = next(k for k, p in pages.items() if p is current)
        if ICON.exists():
            st.logo(str(ICON), size="large")
        sidebar.render()
    current.run()


def _page(key: str, view: View, signed_in: bool) -> st.Page:
    default = key == DEFAULT
    if not signed_in:
        return st.Page(login.render, title="Sign in", url_path=key, default=default)
    return st.Page(_shown(view), title=view.title, icon=view.icon, url_path=key, default=default)


def _shown(view: View) -> Callable[[], None]:
    def show() -> None:
        # The sidebar is drawn already: a bug in the page is a banner where the page would be.
        session.guarded(lambda: view.render(session.api()))

    return show
