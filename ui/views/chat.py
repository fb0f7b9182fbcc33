"""Chat: ask in plain words; tool calls appear as compact status rows, changes as approval
cards. The reply is streamed over Server-Sent Events (POST /api/chat/stream)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ui import session
from ui.approvals import pull_line, render_card
from ui.client import ApiClient, ApiError, ChatReply, StreamEvent
from ui.safe_text import as_text, clip, escape_markdown, safe_reply

STATUS_WORDS = {
    "executed": "done",
    "pending_approval": "waiting for approval",
    "planned": "planned (dry run)",
    "denied": "refused",
    "rejected": "rejected",
    "failed": "failed",
}
SUGGESTIONS = (
    "list all containers",
    "show the last 20 log lines of {name}",
    "restart {name}",
    "how much memory does {name} use?",
)


# --- rendering ----------------------------------------------------------------------------


def _target(args: dict[str, Any]) -> str:
    for key in ("container", "image", "service", "name"):
        if args.get(key):
            return str(args[key])
    return ""


def tool_label(call: dict[str, Any]) -> str:
    status = str(call.get("status") or "running")
    tool = str(call.get("tool") or "tool")
    target = _target(call.get("args") or {})
    words = STATUS_WORDS.get(status, status)
    text = f"{tool} {target} · {words}" if target else f"{tool} · {words}"
    return escape_markdown(clip(text, 120))


def render_tool_call(call: dict[str, Any]) -> None:
    """A compact, collapsed row: st.status shows done/failed; a call waiting for a decision
    is an hourglass row instead (a finished st.status can only show done or failed)."""
    status = str(call.get("status") or "")
    row: Any
    if status == "pending_approval":
        row = st.expander(tool_label(call), icon=":material/hourglass_top:")
    else:
        failed = status in ("denied", "rejected", "failed")
        row = st.status(tool_label(call), state="error" if failed else "complete")
    with row:
        st.caption("Arguments")
        st.code(json.dumps(call.get("args") or {}, indent=2, sort_keys=True), language="json")
        if call.get("message"):
            st.caption("Message")
            st.text(clip(str(call["message"]), 2000))
        if call.get("result") is not None:
            st.caption("Result (text from the engine and containers, shown as data)")
            st.code(as_text(call["result"]), language=None)


def render_message(message: dict[str, Any]) -> None:
    role = message.get("role")
    content = message.get("content")
    if role == "tool" and isinstance(content, dict):
        with st.chat_message("assistant", avatar=":material/build:"):
            render_tool_call(content)
    elif role == "user":
        with st.chat_message("user"):
            st.markdown(escape_markdown(str(content), single_line=False))
    elif role == "error":
        with st.chat_message("assistant", avatar=":material/error:"):
            session.banner("error", str(content))
    else:
        with st.chat_message("assistant"):
            st.markdown(safe_reply(str(content)))


# --- one streamed turn --------------------------------------------------------------------


@dataclass
class Turn:
    """Consumes the SSE events of one turn, drawing tokens and tool rows as they arrive."""

    reply: ChatReply | None = None
    error: str | None = None
    text: str = ""
    running: list[tuple[str, Any]] = field(default_factory=list)  # (tool, its status row)

    def run(self, events: Iterator[StreamEvent]) -> None:
        rows = st.container()
        text = st.empty()
        for item in events:
            if item.event == "thread":
                st.session_state[session.THREAD] = item.data.get("thread_id")
            elif item.event == "token":
                self.text += str(item.data.get("text", ""))
                text.markdown(safe_reply(self.text) + " ▌")
            elif item.event == "tool_call":
                label = tool_label({**item.data, "status": "running"})
                self.running.append((str(item.data.get("tool")), rows.status(label)))
            elif item.event == "progress" and self.running:  # the running call's image pull
                self.running[-1][1].update(label=escape_markdown(pull_line(item.data)))
            elif item.event == "tool_result":
                self._finish_row(item.data)
            elif item.event == "done":
                self.reply = item.data  # type: ignore[assignment]
            elif item.event == "error":
                self.error = str(item.data.get("detail") or "the assistant failed")
        text.empty()

    def _finish_row(self, outcome: dict[str, Any]) -> None:
        for index, (tool, row) in enumerate(self.running):
            if tool == outcome.get("tool"):
                failed = outcome.get("status") in ("denied", "rejected", "failed")
                row.update(label=tool_label(outcome), state="error" if failed else "complete")
                del self.running[index]
                return


def run_turn(api: ApiClient, prompt: str) -> None:
    render_message({"role": "user", "content": prompt})
    turn = Turn()
    with st.chat_message("assistant"):
        try:
            with st.spinner("Thinking…"):
                turn.run(api.chat_stream(prompt, st.session_state[session.THREAD]))
        except ApiError as exc:
            if exc.status == 401:
                session.show_error(exc)
            turn.error = exc.detail
    if turn.reply is not None:
        session.add_turn(turn.reply, user_text=prompt)
    else:
        session.messages().append({"role": "user", "content": prompt})
        problem = turn.error or "the reply ended early; the server log has the cause"
        session.messages().append({"role": "error", "content": f"No answer: {problem}"})
    st.rerun()


# --- threads ------------------------------------------------------------------------------


NEW_THREAD = "new"  # not None: a selectbox shows None as "no selection"


def _open_thread() -> None:
    choice = st.session_state.get("chat_thread_pick")
    if not choice or choice == NEW_THREAD:
        session.reset_conversation()
        return
    try:
        session.load_thread(session.api().thread(choice))
    except ApiError as exc:
        session.report(exc, "Could not open that conversation")


def _new_thread() -> None:
    session.reset_conversation()
    st.session_state["chat_thread_pick"] = NEW_THREAD


def _queue(prompt: str) -> None:
    st.session_state[session.QUEUED_PROMPT] = prompt


def _thread_picker(api: ApiClient) -> None:
    try:
        threads = api.threads()
    except ApiError as exc:
        session.show_error(exc, "Could not list your conversations")
        threads = []
    titles: dict[str, str] = {NEW_THREAD: "New conversation"}
    for thread in threads:
        titles[thread["id"]] = f"{clip(str(thread.get('title') or thread['id']), 60)}"
    current = st.session_state[session.THREAD]
    if current and current not in titles:
        titles[current] = "This conversation"
    st.session_state["chat_thread_pick"] = current or NEW_THREAD
    pick, new = st.columns([4, 1], vertical_alignment="bottom")
    pick.selectbox(
        "Conversation",
        list(titles),
        key="chat_thread_pick",
        format_func=lambda key: titles.get(key, key),
        on_change=_open_thread,
        help="Resume an earlier conversation; its pending approvals come back with it.",
    )
    new.button("New", icon=":material/add:", on_click=_new_thread, width="stretch")


def _empty_state(api: ApiClient) -> None:
    try:
        names = [c["name"] for c in api.containers(all=True)]
    except ApiError:
        names = []
    name = names[0] if names else "web"
    with st.container(border=True):
        st.markdown("**Ask in plain words.** Reads answer at once; changes wait for approval.")
        columns = st.columns(2)
        for index, template in enumerate(SUGGESTIONS):
            prompt = template.format(name=name)
            columns[index % 2].button(
                prompt,
                key=f"suggest_{index}",
                on_click=_queue,
                args=(prompt,),
                width="stretch",
            )


def render(api: ApiClient) -> None:
    session.header("Chat", "Ask in plain words; every change is previewed and waits for approval.")
    _thread_picker(api)
    for message in session.messages():
        render_message(message)
    for approval in session.thread_pending():
        render_card(approval)
    suggestions = st.empty()  # cleared as soon as a turn starts
    if not session.messages() and not session.thread_pending():
        with suggestions.container():
            _empty_state(api)
    waiting = session.stage() == "awaiting_approval"
    prompt = st.chat_input(
        "Approve or reject the pending action first" if waiting else "Ask… e.g. restart web",
        key="chat_prompt",
        disabled=waiting,
        max_chars=8000,
    )
    queued = st.session_state.pop(session.QUEUED_PROMPT, None)
    text = prompt if isinstance(prompt, str) else queued
    if text and text.strip() and not waiting:
        suggestions.empty()
        run_turn(api, text.strip())
