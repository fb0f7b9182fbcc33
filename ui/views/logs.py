"""Logs: one container's recent lines, with tail, since, a text filter, follow mode and download.
Log text comes from containers, so it is shown only as code, never as markdown."""

from __future__ import annotations

import re

import streamlit as st

from ui import session
from ui.client import ApiClient, ApiError

FOLLOW_SECONDS = 2
_FILE_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _show(api: ApiClient, ref: str, tail: int, since: str, grep: str) -> None:
    try:
        logs = api.logs(ref, tail=tail, since=since or None, grep=grep or None)
    except ApiError as exc:
        session.show_error(exc, f"Could not read the logs of {ref}")
        return
    text = str(logs.get("text") or "")
    note = " (truncated by the server's output cap)" if logs.get("truncated") else ""
    st.caption(f"{logs.get('lines', 0)} line(s){note}")
    if not text:
        st.info(
            "No log lines match. Widen “since”, raise “tail”, or clear the filter.",
            icon=":material/article:",
        )
        return
    # Scroll past ~24 lines instead of growing the page by thousands of lines.
    rows = text.count("\n") + 1
    st.code(text, language=None, line_numbers=True, height=min(520, 40 + 21 * rows))
    st.download_button(
        "Download these lines",
        data=text,
        file_name=f"{_FILE_SAFE.sub('_', ref)}.log",
        mime="text/plain",
        icon=":material/download:",
        key="logs_download",
    )


def render(api: ApiClient) -> None:
    session.header("Logs", "Recent output of one container.")
    try:
        names = [c["name"] for c in api.containers(all=True)]
    except ApiError as exc:
        session.show_error(exc, "Could not list containers")
        return
    if not names:
        st.info(
            "No containers yet, so no logs. Start one from Chat or the Containers page.",
            icon=":material/inbox:",
        )
        return
    if st.session_state.get("logs_container") not in names:
        st.session_state["logs_container"] = names[0]
    pick, tail_col, since_col, grep_col = st.columns([3, 1, 1, 2])
    ref = pick.selectbox("Container", names, key="logs_container")
    tail = tail_col.number_input("Tail", 1, 10_000, value=200, step=50, key="logs_tail")
    since = since_col.text_input("Since", key="logs_since", placeholder="10m, 2h, 1d")
    grep = grep_col.text_input("Filter", key="logs_grep", placeholder="text to keep")
    follow = st.toggle(f"Follow (refresh every {FOLLOW_SECONDS} s)", key="logs_follow")

    @st.fragment(run_every=FOLLOW_SECONDS if follow else None)
    def lines() -> None:
        session.guarded(lambda: _show(api, str(ref), int(tail), since.strip(), grep.strip()))

    lines()
