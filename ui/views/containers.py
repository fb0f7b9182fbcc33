"""Containers: a filterable table, actions (through the API, so through approvals) and details."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import session
from ui.approvals import render_card
from ui.client import Action, ApiClient, ApiError, Container
from ui.safe_text import short_id

ACTIONS: tuple[tuple[Action, str, str], ...] = (
    ("start", "Start", ":material/play_arrow:"),
    ("stop", "Stop", ":material/stop:"),
    ("restart", "Restart", ":material/restart_alt:"),
    ("remove", "Remove", ":material/delete:"),
)


def matches(container: Container, text: str, states: list[str]) -> bool:
    if states and container["state"] not in states:
        return False
    if not text:
        return True
    needle = text.lower()
    haystack = [container["name"], container["image"], container["id"], container["status"],
                *container.get("ports", [])]  # fmt: skip
    return any(needle in str(value).lower() for value in haystack)


def table(containers: list[Container]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "name": c["name"],
                "image": c["image"],
                "state": c["state"],
                "status": c["status"],
                "ports": ", ".join(c.get("ports") or []),
                "created": c["created"],
                "host": c.get("host", "local"),
                "id": short_id(c["id"]),
            }
            for c in containers
        ],
        columns=["name", "image", "state", "status", "ports", "created", "host", "id"],
    )
    frame["created"] = pd.to_datetime(frame["created"], errors="coerce", utc=True)
    return frame


def run_action(ref: str, action: Action) -> None:
    """Row action callback: 200 done, 202 an approval card, 4xx a readable refusal."""
    force = bool(st.session_state.get("containers_force")) and action == "remove"
    try:
        outcome = session.api().action(ref, action, force=force)
    except ApiError as exc:
        session.report(exc, f"Could not {action} {ref}")
        return
    if outcome.status == "pending_approval" and outcome.approval:
        session.pending()[outcome.approval["id"]] = outcome.approval
        session.flash("info", f"{action.capitalize()} {ref} needs approval: review the card below.")
    else:
        message = (outcome.result or {}).get("message") or f"{action} {ref}: done"
        session.flash("success", str(message))


def _go(page: str, container: str) -> None:
    session.go_to(page)
    st.session_state["logs_container"] = container
    st.session_state["stats_selected"] = [container]


def _follow_table_selection(shown: list[Container], rows: list[int]) -> None:
    """A newly clicked row picks the container below; the picker stays free to change after."""
    picked = shown[rows[0]]["name"] if rows and rows[0] < len(shown) else None
    if picked and st.session_state.get("_containers_row_pick") != picked:
        st.session_state["containers_selected"] = picked
    st.session_state["_containers_row_pick"] = picked


def _details(api: ApiClient, ref: str) -> None:
    try:
        info = api.container(ref)
    except ApiError as exc:
        session.show_error(exc, f"Could not inspect {ref}")
        return
    facts: list[tuple[str, Any]] = [
        ("name", info.get("name")),
        ("id", info.get("full_id") or info.get("id")),
        ("image", info.get("image")),
        ("image id", info.get("image_id")),
        ("state", info.get("state")),
        ("status", info.get("status")),
        ("health", info.get("health") or "no health check"),
        ("started at", info.get("started_at")),
        ("exit code", info.get("exit_code")),
        ("restarts", info.get("restart_count")),
        ("restart policy", info.get("restart_policy")),
        ("ports", ", ".join(info.get("ports") or []) or "none published"),
        ("networks", ", ".join(info.get("networks") or []) or "none"),
        ("host", info.get("host")),
    ]
    left, right = st.columns(2)
    with left:
        st.dataframe(
            pd.DataFrame([(k, "" if v is None else str(v)) for k, v in facts],
                         columns=["field", "value"]),
            hide_index=True,
        )  # fmt: skip
    with right:
        st.caption("Command")
        st.code(str(info.get("command") or ""), language=None)
        mounts = info.get("mounts") or []
        st.caption("Mounts")
        if mounts:
            st.dataframe(pd.DataFrame(mounts), hide_index=True)
        else:
            st.text("none")
        labels = info.get("labels") or {}
        st.caption("Labels")
        if labels:
            st.dataframe(
                pd.DataFrame(sorted(labels.items()), columns=["label", "value"]), hide_index=True
            )
        else:
            st.text("none")
    env = info.get("env") or []
    with st.expander(f"Environment ({len(env)} variables; may contain secrets)"):
        st.code("\n".join(env) or "(none)", language=None)


def _actions(api: ApiClient, shown: list[Container]) -> None:
    names = [c["name"] for c in shown]
    if st.session_state.get("containers_selected") not in names:
        st.session_state["containers_selected"] = names[0]
    choice = st.selectbox("Container", names, key="containers_selected")
    chosen = next(c for c in shown if c["name"] == choice)
    running = chosen["state"] in ("running", "restarting", "paused")
    disabled = {"start": running, "stop": not running, "restart": False, "remove": False}
    columns = st.columns(len(ACTIONS) + 3)
    for column, (action, label, icon) in zip(columns, ACTIONS, strict=False):
        column.button(
            label, key=f"action_{action}", icon=icon, on_click=run_action,
            args=(choice, action), disabled=disabled[action], width="stretch",
        )  # fmt: skip
    columns[len(ACTIONS)].button(
        "Logs", icon=":material/article:", on_click=_go, args=("logs", choice),
        width="stretch",
    )  # fmt: skip
    columns[len(ACTIONS) + 1].button(
        "Stats", icon=":material/monitoring:", on_click=_go, args=("stats", choice),
        width="stretch", disabled=not running,
    )  # fmt: skip
    st.checkbox("Force remove (even if running)", key="containers_force")
    st.caption(
        "Actions go through the same guard as chat: changes wait for approval, and your role "
        "decides what you may do."
    )
    st.subheader("Details")
    _details(api, choice)


def render(api: ApiClient) -> None:
    session.header("Containers", "Every container on the engine, with actions and details.")
    for approval in session.console_pending():
        render_card(approval)
    try:
        containers = api.containers(all=True)
    except ApiError as exc:
        session.show_error(exc, "Could not list containers")
        return
    if not containers:
        st.info(
            "No containers on this engine yet. Try in Chat: “run nginx:1.27 as web on port 8080”.",
            icon=":material/inbox:",
        )
        return
    search, states_col = st.columns([3, 2])
    text = search.text_input(
        "Search", key="containers_search", placeholder="name, image, id, port…"
    )
    states = sorted({c["state"] for c in containers})
    chosen_states = states_col.pills(
        "State", states, selection_mode="multi", key="containers_states"
    )
    shown = [c for c in containers if matches(c, text.strip(), list(chosen_states or []))]
    running = sum(c["state"] == "running" for c in containers)
    st.caption(f"{len(shown)} shown · {running} running · {len(containers)} in all")
    if not shown:
        st.info("Nothing matches. Clear the search or the state filter.", icon=":material/search:")
        return
    event = st.dataframe(
        table(shown),
        hide_index=True,
        key="containers_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "created": st.column_config.DatetimeColumn("created", format="YYYY-MM-DD HH:mm"),
        },
    )
    _follow_table_selection(shown, list(event.selection.rows))
    st.subheader("Act on a container")
    st.caption("Pick it here or click its row in the table.")
    _actions(api, shown)
