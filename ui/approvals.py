"""The approval card: what would happen (targets by ID, impact, the equivalent `docker`
command) and Approve / Reject buttons. Buttons act through `on_click` callbacks, so a decision
never depends on a button nested under another button's rerun."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ui import session
from ui.client import ApiError, Approval, ChatReply, Decision
from ui.safe_text import escape_markdown, human_bytes, short_id

RISK_COLOURS = {"read": "green", "change": "orange", "destructive": "red"}
ROLE_RANK = {"viewer": 0, "operator": 1, "admin": 2}


def _targets_table(targets: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for target in targets:
        rows.append(
            {
                "kind": target.get("kind", ""),
                "name": target.get("name", ""),
                "id": short_id(target.get("id")),
                "image": target.get("image", ""),
                "state": target.get("state", ""),
                "ports": ", ".join(str(p) for p in target.get("ports") or []),
                "volumes": ", ".join(str(v) for v in target.get("volumes") or []),
            }
        )
    frame = pd.DataFrame(rows)
    # Hide columns this kind of target does not have.
    return frame.loc[:, [c for c in frame.columns if frame[c].astype(bool).any()]]


def render_card(approval: Approval) -> None:
    approval_id = approval["id"]
    with st.container(border=True, key=f"approval_{approval_id}"):
        head, badge = st.columns([5, 1], vertical_alignment="center")
        tool = escape_markdown(approval.get("tool", "?"))
        head.markdown(f"#### :material/gpp_maybe: Approval needed · {tool}")
        risk = str(approval.get("risk") or "change")
        badge.badge(risk, color=RISK_COLOURS.get(risk, "gray"))  # type: ignore[arg-type]
        st.text(approval.get("summary") or "(no summary)")
        who = approval.get("requested_by") or "?"
        meta = (
            f"Requested by {who} · approver needs role {approval.get('required_role', '?')} · "
            f"expires {approval.get('expires_at') or '?'} · approval {approval_id}"
        )
        st.caption(escape_markdown(meta))
        targets = approval.get("targets") or []
        if targets:
            st.markdown("**Targets** (resolved by ID; the approval is bound to these)")
            st.dataframe(_targets_table(targets), hide_index=True)
        impact = approval.get("impact") or []
        if impact:
            st.markdown("**Impact**")
            st.text("\n".join(f"• {line}" for line in impact))
        if approval.get("command"):
            st.markdown("**Equivalent command**")
            st.code(approval["command"] or "", language="bash")
        me = session.user()
        needed = str(approval.get("required_role") or "operator")
        if me and ROLE_RANK.get(me["role"], 0) < ROLE_RANK.get(needed, 2):
            st.info(
                f"Only someone with the {needed} role can decide this. Ask them to open "
                "Approvals; meanwhile you can start a new conversation.",
                icon=":material/group:",
            )
        st.text_input(
            "Reason (optional, recorded in the audit trail)",
            key=f"reason_{approval_id}",
            max_chars=500,
        )
        approve, reject, _ = st.columns([1, 1, 3])
        approve.button(
            "Approve",
            key=f"approve_{approval_id}",
            type="primary",
            icon=":material/check:",
            on_click=decide,
            args=(approval_id, "approve"),
            width="stretch",
        )
        reject.button(
            "Reject",
            key=f"reject_{approval_id}",
            icon=":material/close:",
            on_click=decide,
            args=(approval_id, "reject"),
            width="stretch",
        )


def decide(approval_id: str, decision: Decision) -> None:
    """Approve/Reject callback: runs before the rerun, so its outcome shows on the next page."""
    reason = (st.session_state.get(f"reason_{approval_id}") or "").strip() or None
    known = session.pending().get(approval_id)
    try:
        response = _decided(approval_id, decision, reason)
    except ApiError as exc:
        session.report(exc, f"Could not {decision} approval {approval_id}")
        if not _still_pending(approval_id, exc):
            session.pending().pop(approval_id, None)
        session.update_stage()
        return
    session.pending().pop(approval_id, None)
    outcome: dict[str, Any] = response.get("outcome") or {}
    chat: ChatReply | None = response.get("chat")
    thread = known.get("thread_id") if known else None
    if chat and thread and chat.get("thread_id") == st.session_state[session.THREAD]:
        session.add_turn(chat)  # the paused conversation continues: its reply lands in the chat
    else:
        _flash_outcome(decision, outcome)
    session.update_stage()


def _decided(approval_id: str, decision: Decision, reason: str | None) -> dict[str, Any]:
    """The decision, streamed: while an approved deploy pulls its image, a line shows how far
    the pull has come."""
    shown = st.empty()
    try:
        for item in session.api().decide_stream(approval_id, decision, reason):
            data = item.data
            if item.event == "progress" and data.get("kind") == "pull":
                shown.text(pull_line(data))  # image names and statuses: plain text only
            elif item.event == "done":
                return data
            elif item.event == "error":
                raise ApiError(str(data.get("detail")), 0, data.get("code"))
    finally:
        shown.empty()
    raise ApiError("the decision's stream ended without an answer; see the Approvals page")


def pull_line(progress: dict[str, Any]) -> str:
    done, total = int(progress.get("current") or 0), int(progress.get("total") or 0)
    size = f" {human_bytes(done)} of {human_bytes(total)}" if total else ""
    return f"Pulling {progress.get('image')}: {progress.get('status')}{size}"


def _still_pending(approval_id: str, exc: ApiError) -> bool:
    """After a failed decision, is the card still worth showing? Decided elsewhere, expired or
    gone: no. A 403 keeps it for someone entitled. Anything else: ask the API what happened
    (the decision may have run even though continuing the conversation failed)."""
    if exc.status in (404, 409, 410):
        return False
    if exc.status in (401, 403):
        return True
    try:
        current = session.api().approval(approval_id)
    except ApiError:
        return True
    if current.get("status") != "pending":
        session.flash("info", f"Approval {approval_id} is now {current.get('status')}.")
        return False
    return True


def _flash_outcome(decision: Decision, outcome: dict[str, Any]) -> None:
    status = outcome.get("status", "")
    message = outcome.get("message") or status
    tool = outcome.get("tool", "the action")
    if decision == "reject":
        session.flash("info", f"Rejected {tool}: nothing was changed.")
    elif status == "executed":
        session.flash("success", f"Approved and done: {message}")
    else:
        session.flash("error", f"Approved, but {tool} {status}: {message}")
