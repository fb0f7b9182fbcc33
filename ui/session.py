"""Everything the console keeps in `st.session_state`, in one place, with typed accessors.

Keys are initialised once per browser session. Messages that must survive a rerun (the result
of a button callback, "please sign in again") are queued as flashes and shown on the next run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any, Literal

import streamlit as st

from ui.client import DEFAULT_API_URL, ApiClient, ApiError, Approval, AuthExpired, ChatReply, Me
from ui.client import Session as ApiSession
from ui.safe_text import escape_markdown

log = logging.getLogger("dockerdeployer.ui")

FlashKind = Literal["success", "info", "warning", "error"]
Stage = Literal["idle", "awaiting_approval"]

API_URL = "api_url"
TOKEN = "token"
USER = "user"
EXPIRES_AT = "expires_at"
NOTICE = "login_notice"  # shown on the sign-in page (why you are there)
FLASHES = "flashes"
PAGE = "page"  # the key of the page this run shows (ui/views VIEWS), set by ui/console.py
GO_TO = "go_to"  # a page to switch to on the next run (asked for in a callback)
THREAD = "thread_id"
MESSAGES = "messages"
PENDING = "pending"  # approval id -> approval, for approvals this session asked for
STAGE = "stage"
QUEUED_PROMPT = "queued_prompt"

AWAITING = "This needs a person's approval first: review the card below, then approve or reject."

_DEFAULTS: dict[str, Any] = {
    TOKEN: None,
    USER: None,
    EXPIRES_AT: 0.0,
    NOTICE: None,
    THREAD: None,
    STAGE: "idle",
}


def init() -> None:
    state = st.session_state
    if API_URL not in state:
        state[API_URL] = os.environ.get("DOCKERDEPLOYER_API_URL") or DEFAULT_API_URL
    for key, value in _DEFAULTS.items():
        if key not in state:
            state[key] = value
    for key in (FLASHES, MESSAGES):
        if key not in state:
            state[key] = []
    if PENDING not in state:
        state[PENDING] = {}


# --- the API client -------------------------------------------------------------------------


def api() -> ApiClient:
    """One client per (session, token): reused across reruns, replaced on sign-in/out."""
    state = st.session_state
    client: ApiClient | None = state.get("_client")
    if client is None or client.token != state[TOKEN] or client.base_url != state[API_URL]:
        if client is not None:
            client.close()
        client = ApiClient(state[API_URL], state[TOKEN])
        state["_client"] = client
    return client


# --- signing in and out ---------------------------------------------------------------------


def user() -> Me | None:
    value: Me | None = st.session_state.get(USER)
    return value


def signed_in() -> bool:
    state = st.session_state
    if not state.get(TOKEN):
        return False
    if time.time() >= float(state.get(EXPIRES_AT) or 0):
        sign_out("Your session expired. Please sign in again.")
        return False
    return True


def sign_in(session: ApiSession, me: Me) -> None:
    state = st.session_state
    state[TOKEN] = session.token
    state[USER] = me
    # A few seconds early, so a request never leaves with a token about to lapse.
    state[EXPIRES_AT] = time.time() + max(session.expires_in - 5, 1)
    state[NOTICE] = None
    reset_conversation()


def sign_out(notice: str | None = None) -> None:
    state = st.session_state
    state[TOKEN] = None
    state[USER] = None
    state[EXPIRES_AT] = 0.0
    state[NOTICE] = notice
    state[PENDING] = {}
    state[FLASHES] = []
    reset_conversation()


def expire(exc: AuthExpired) -> None:
    detail = exc.detail.rstrip(".")
    if "sign in again" in detail:
        sign_out(detail[0].upper() + detail[1:] + ".")
    else:
        sign_out(f"Signed out: {detail}. Please sign in again.")


def go_to(page: str) -> None:
    """From a callback, where `st.switch_page` cannot run: show `page` on the next run."""
    st.session_state[GO_TO] = page


# --- flashes and errors ---------------------------------------------------------------------


def flash(kind: FlashKind, text: str) -> None:
    st.session_state[FLASHES].append((kind, text))


def header(title: str, caption: str | None = None) -> None:
    """A page's title, its one-line purpose, then any queued flashes."""
    st.title(title)
    if caption:
        st.caption(caption)
    show_flashes()


def show_flashes() -> None:
    flashes: list[tuple[FlashKind, str]] = st.session_state[FLASHES]
    st.session_state[FLASHES] = []
    for kind, text in flashes:
        banner(kind, text)


def banner(kind: FlashKind, text: str) -> None:
    """A status banner whose text may quote containers or models: escaped, never markdown."""
    body = escape_markdown(text, single_line=False)
    {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}[kind](body)


def show_error(exc: ApiError, doing: str | None = None) -> None:
    """In a page body: a readable banner, or back to sign-in on 401 (never a traceback)."""
    if isinstance(exc, AuthExpired):
        expire(exc)
        st.rerun()
    banner("error", f"{doing}: {exc.detail}" if doing else exc.detail)


def guarded(render: Callable[[], None]) -> None:
    """Run a page (or a fragment of one): a bug becomes a readable banner, not a traceback.

    Streamlit's rerun/stop signals are BaseExceptions, so they pass through untouched."""
    try:
        render()
    except ApiError as exc:
        show_error(exc)
    except Exception:
        log.exception("console page failed")
        st.error(
            "Something went wrong while drawing this page. Reload it; if it happens again, "
            "the console's log has the details.",
            icon=":material/error:",
        )


def report(exc: ApiError, doing: str) -> None:
    """In a callback: the same, deferred to the rerun that follows."""
    if isinstance(exc, AuthExpired):
        expire(exc)
    else:
        flash("error", f"{doing}: {exc.detail}")


# --- the conversation -----------------------------------------------------------------------


def reset_conversation() -> None:
    state = st.session_state
    state[THREAD] = None
    state[MESSAGES] = []
    state[PENDING] = {k: v for k, v in state.get(PENDING, {}).items() if not v.get("thread_id")}
    update_stage()


def messages() -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = st.session_state[MESSAGES]
    return value


def pending() -> dict[str, Approval]:
    value: dict[str, Approval] = st.session_state[PENDING]
    return value


def thread_pending() -> list[Approval]:
    thread = st.session_state[THREAD]
    return [a for a in pending().values() if thread and a.get("thread_id") == thread]


def console_pending() -> list[Approval]:
    return [a for a in pending().values() if not a.get("thread_id")]


def update_stage() -> None:
    stage: Stage = "awaiting_approval" if thread_pending() else "idle"
    st.session_state[STAGE] = stage


def stage() -> Stage:
    value: Stage = st.session_state[STAGE]
    return value


def add_turn(reply: ChatReply, user_text: str | None = None) -> None:
    """Append one finished turn (user text, tool calls, reply) and its pending approvals."""
    st.session_state[THREAD] = reply["thread_id"]
    log = messages()
    if user_text is not None:
        log.append({"role": "user", "content": user_text})
    for call in reply.get("tool_calls") or []:
        log.append({"role": "tool", "content": dict(call)})
    if reply.get("approvals"):
        # The API's reply repeats the approval as text; the card below says it better.
        log.append({"role": "assistant", "content": AWAITING})
    elif reply.get("reply"):
        log.append({"role": "assistant", "content": reply["reply"]})
    for approval in reply.get("approvals") or []:
        pending()[approval["id"]] = approval
    update_stage()


def load_thread(thread: dict[str, Any]) -> None:
    """Show an earlier conversation (GET /api/threads/{id}) and its pending approvals."""
    st.session_state[THREAD] = thread["thread_id"]
    st.session_state[MESSAGES] = list(thread.get("messages") or [])
    keep = {k: v for k, v in pending().items() if not v.get("thread_id")}
    for approval in thread.get("approvals") or []:
        keep[approval["id"]] = approval
    st.session_state[PENDING] = keep
    update_stage()
