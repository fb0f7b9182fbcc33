"""Audit: who asked for what, who approved it, what ran, with filters and a CSV export."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ui import session
from ui.client import ApiClient, ApiError

# The gateway's audit events (tools/gateway.py); "" means any.
EVENTS = ["", "proposed", "approved", "rejected", "expired", "executed", "failed", "denied",
          "invalid"]  # fmt: skip
COLUMNS = ["ts", "event", "actor", "role", "tool", "args", "approval_id", "approver", "message",
           "request", "thread_id", "host"]  # fmt: skip


def render(api: ApiClient) -> None:
    session.header("Audit", "Every request, proposal, decision and executed call.")
    actor_col, tool_col, event_col, limit_col = st.columns([2, 2, 2, 1])
    actor = actor_col.text_input("Actor", key="audit_actor", placeholder="user or bot name")
    tool = tool_col.text_input("Tool", key="audit_tool", placeholder="e.g. restart_container")
    event = event_col.selectbox(
        "Event", EVENTS, key="audit_event", format_func=lambda e: e or "any event"
    )
    limit = int(limit_col.number_input("Rows", 1, 10_000, value=500, step=100, key="audit_limit"))
    filters = {"actor": actor.strip() or None, "tool": tool.strip() or None, "event": event or None}
    try:
        entries = api.audit(limit=limit, **filters)
    except ApiError as exc:
        session.show_error(exc, "Could not read the audit trail")
        return
    if not entries:
        st.info(
            "No audit entries match. Clear the filters, or do something in Chat: every "
            "request and decision is recorded here.",
            icon=":material/history:",
        )
        return
    frame = pd.DataFrame(entries)
    frame["args"] = frame["args"].map(lambda a: json.dumps(a, sort_keys=True))
    frame["ts"] = pd.to_datetime(frame["ts"], errors="coerce", utc=True)
    frame = frame.astype({c: "object" for c in frame.columns if c != "ts"}).fillna("")
    st.caption(f"{len(frame)} entr{'y' if len(frame) == 1 else 'ies'}, newest first")
    st.dataframe(
        frame[[c for c in COLUMNS if c in frame.columns]],
        hide_index=True,
        column_config={
            "ts": st.column_config.DatetimeColumn("time", format="YYYY-MM-DD HH:mm:ss"),
        },
    )

    def csv() -> str:
        # Fetched when clicked (not on every rerun), with the filters shown.
        try:
            return api.audit_csv(limit=limit, **filters)
        except ApiError as exc:
            return f"error: {exc.detail}\n"

    st.download_button(
        "Download CSV", data=csv, file_name="audit.csv", mime="text/csv",
        icon=":material/download:", key="audit_csv",
    )  # fmt: skip
