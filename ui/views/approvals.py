"""Approvals inbox: everything waiting for a decision (from chat, bots, scripts, other people)."""

from __future__ import annotations

import streamlit as st

from ui import session
from ui.approvals import render_card
from ui.client import ApiClient, ApiError


def render(api: ApiClient) -> None:
    session.header("Approvals", "Actions waiting for an authorised person's decision.")
    try:
        waiting = api.approvals("pending")
    except ApiError as exc:
        session.show_error(exc, "Could not list approvals")
        return
    if not waiting:
        st.info(
            "Nothing is waiting for approval. Changes asked for in Chat, on the Containers "
            "page or by bots appear here until someone decides.",
            icon=":material/task_alt:",
        )
        return
    st.caption(f"{len(waiting)} waiting · oldest first")
    for approval in sorted(waiting, key=lambda a: a.get("created_at") or ""):
        render_card(approval)
