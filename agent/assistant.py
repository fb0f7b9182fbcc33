"""The Assistant: one chat turn in, a reply plus tool calls and pending approvals out.

Approvals are decided in the gateway (which runs the approved call exactly once); resuming the
paused agent then hands each paused tool its recorded outcome, so the model can report it. A
conversation is resumed by one request at a time, also across API replicas (`ConversationLocks`).
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Command
from sqlalchemy import select

from agent.checkpoints import ConversationLocks
from agent.context import AgentContext
from agent.errors import ModelUnavailable, ThreadForbidden
from agent.lc_tools import call_key
from agent.store import ThreadRow
from foundation.db import utcnow
from tools.approvals import Approval, ApprovalStatus
from tools.errors import InvalidArguments, NotFound
from tools.gateway import ToolGateway
from tools.guard.policy import Actor, Role

MAX_MESSAGE_CHARS = 8_000
_UNSETTLED = (ApprovalStatus.PENDING, ApprovalStatus.EXECUTING)


@dataclass
class ChatResult:
    thread_id: str
    reply: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "thread_id": self.thread_id,
            "reply": self.reply,
            "tool_calls": self.tool_calls,
            "approvals": self.approvals,
        }


def _content(message: Any) -> str:
    content = message.content
    return content if isinstance(content, str) else json.dumps(content)


@contextlib.contextmanager
def model_errors() -> Iterator[None]:
    """The model endpoint's failures, after the client's own retries, as readable errors."""
    try:
        yield
    except Exception as exc:
        # openai is loaded only when a model is configured (langchain_openai imports it); when it
        # is not, nothing raised here is one of its errors, and the offline planner's start-up
        # does not pay for importing it.
        openai = sys.modules.get("openai")
        unavailable = _model_unavailable(openai, exc) if openai is not None else None
        if unavailable is None:
            raise
        raise unavailable from exc


def _model_unavailable(openai: Any, exc: Exception) -> ModelUnavailable | None:
    if isinstance(exc, openai.AuthenticationError):
        return ModelUnavailable("the model endpoint refused the API key")
    if isinstance(exc, openai.NotFoundError):
        return ModelUnavailable(f"the model endpoint does not know that model: {exc}")
    if isinstance(exc, openai.APITimeoutError):
        return ModelUnavailable("the model endpoint did not answer in time")
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable(f"cannot reach the model endpoint: {exc}")
    if isinstance(exc, openai.RateLimitError):
        return ModelUnavailable("the model endpoint is rate limiting; retry later")
    if isinstance(exc, openai.APIStatusError):
        return ModelUnavailable(f"the model endpoint failed (HTTP {exc.status_code}) after retries")
    return None


def _events(mode: str, data: Any) -> Iterator[tuple[str, Any]]:
    if mode == "custom":  # what a tool reported while it ran (lc_tools: an image pull)
        if isinstance(data, dict) and "progress" in data:
            yield "progress", data["progress"]
        return
    if mode == "messages":
        chunk = data[0]
        if isinstance(chunk, AIMessageChunk | AIMessage) and isinstance(chunk.content, str):
            if chunk.content:
                yield "token", {"text": chunk.content}
        return
    for node, update in (data or {}).items():
        if node == "__interrupt__":
            for interrupt in update:
                yield "approval", json.loads(interrupt.value.get("description") or "{}")
            continue
        messages = update.get("messages", []) if isinstance(update, dict) else []
        for message in messages:
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    yield "tool_call", {"tool": call["name"], "args": call["args"]}
            elif isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
                yield "tool_result", message.artifact


class Assistant:
    def __init__(
        self, gateway: ToolGateway, agent: Any, locks: ConversationLocks | None = None
    ) -> None:
        self.gateway = gateway
        self.agent = agent
        self.sessions = gateway.approvals.sessions
        if locks is None:
            with self.sessions() as session:
                locks = ConversationLocks(session.get_bind())
        self.locks = locks

    # --- threads ----------------------------------------------------------------------------

    def _claim_thread(self, actor: Actor, thread_id: str | None, message: str) -> str:
        with self.sessions.begin() as session:
            if thread_id:
                row = session.get(ThreadRow, thread_id)
                if row is not None:
                    if row.owner != actor.name:  # admins may read others' threads, not continue
                        raise ThreadForbidden(f"thread {thread_id} belongs to another user")
                    row.updated_at = utcnow()
                    return thread_id
            thread_id = thread_id or uuid.uuid4().hex
            session.add(ThreadRow(id=thread_id, owner=actor.name, title=message[:200]))
            return thread_id

    def threads(self, actor: Actor) -> list[dict[str, Any]]:
        stmt = select(ThreadRow).where(ThreadRow.owner == actor.name)
        with self.sessions() as session:
            rows = session.scalars(stmt.order_by(ThreadRow.updated_at.desc()).limit(100))
            return [{"id": r.id, "title": r.title, "updated_at": r.updated_at.isoformat()}
                    for r in rows]  # fmt: skip

    def history(self, actor: Actor, thread_id: str) -> list[dict[str, Any]]:
        self._check_owner(actor, thread_id, read_only=True)
        state = self.agent.get_state(self._config(thread_id))
        out: list[dict[str, Any]] = []
        for message in state.values.get("messages", []):
            if isinstance(message, HumanMessage):
                out.append({"role": "user", "content": _content(message)})
            elif isinstance(message, AIMessage) and message.content:
                out.append({"role": "assistant", "content": _content(message)})
            elif isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
                out.append({"role": "tool", "content": message.artifact})
        return out

    def _check_owner(self, actor: Actor, thread_id: str, read_only: bool = False) -> None:
        with self.sessions() as session:
            row = session.get(ThreadRow, thread_id)
        if row is None:
            raise NotFound(f"no thread {thread_id!r}")
        if row.owner != actor.name and not (read_only and actor.role is Role.ADMIN):
            raise ThreadForbidden(f"thread {thread_id} belongs to another user")

    # --- turns --------------------------------------------------------------------------------

    @staticmethod
    def _config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}}

    def chat(
        self, actor: Actor, message: str, thread_id: str | None = None, dry_run: bool = False
    ) -> ChatResult:
        message, thread_id = self._start(actor, message, thread_id)
        # One turn of a conversation at a time (a resume, or another message, waits): two at
        # once would each continue the same checkpoint and one would be lost.
        with self.locks.hold(thread_id):
            self._refuse_if_paused(thread_id)
            ctx = AgentContext(actor=actor, thread_id=thread_id, request=message, dry_run=dry_run)
            before = self._message_ids(thread_id)
            self._invoke({"messages": [HumanMessage(message)]}, ctx)
            return self._result(thread_id, before)

    def _start(self, actor: Actor, message: str, thread_id: str | None) -> tuple[str, str]:
        message = message.strip()
        if not message:
            raise InvalidArguments("the message is empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise InvalidArguments(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
        return message, self._claim_thread(actor, thread_id, message)

    def _refuse_if_paused(self, thread_id: str) -> None:
        if self.pending(thread_id):
            raise InvalidArguments(
                "this thread is waiting for an approval decision; approve or reject it first"
            )

    def resume(self, actor: Actor, thread_id: str) -> ChatResult:
        """Continue a paused thread once its approvals are decided (in the gateway)."""
        self._check_owner(actor, thread_id)
        return self._resume(actor, thread_id)

    def _resume(self, actor: Actor, thread_id: str) -> ChatResult:
        # Read the paused state and continue from it under the conversation's lock: another
        # resume of the same turn (another replica's decision) then finds it already continued.
        with self.locks.hold(thread_id):
            return self._resume_locked(actor, thread_id)

    def _resume_locked(self, actor: Actor, thread_id: str) -> ChatResult:
        config = self._config(thread_id)
        state = self.agent.get_state(config)
        answers: dict[str, Any] = {}
        for interrupt in state.interrupts:
            approval = self._approval_of(thread_id, state, interrupt)
            # Executing: approved and still running in another request (another replica), which
            # resumes the thread when it is done; answered now, it would read as failed.
            if approval is None or approval.status in _UNSETTLED:
                continue
            if approval.status is ApprovalStatus.REJECTED:
                reason = f"rejected by {approval.decided_by}: {approval.reason or 'no reason'}"
                answers[interrupt.id] = {"type": "reject", "message": reason}
            else:
                answers[interrupt.id] = {"type": "approve"}  # the tool reports what happened
        before = self._message_ids(thread_id)
        if answers:
            ctx = AgentContext(actor=actor, thread_id=thread_id)
            self._invoke(Command(resume=answers), ctx)
        return self._result(thread_id, before)

    def resume_thread(self, thread_id: str) -> ChatResult:
        """Continue a thread as its owner (after someone entitled decided its approvals)."""
        with self.sessions() as session:
            row = session.get(ThreadRow, thread_id)
        if row is None:
            raise InvalidArguments(f"no thread {thread_id!r}")
        owner = self.gateway.approvals.list(thread_id=thread_id, limit=1)
        requester = owner[0] if owner else None
        actor = (
            Actor(requester.requested_by, Role(requester.requested_role))
            if requester
            else Actor(row.owner, Role.VIEWER)
        )
        return self._resume(actor, thread_id)

    def _approval_of(self, thread_id: str, state: Any, interrupt: Any) -> Approval | None:
        key = call_key(thread_id, interrupt.value.get("tool_call_id"), state.values)
        return self.gateway.approvals.by_call(key) if key else None

    def pending(self, thread_id: str) -> list[dict[str, Any]]:
        state = self.agent.get_state(self._config(thread_id))
        approvals = []
        for interrupt in state.interrupts:
            approval = self._approval_of(thread_id, state, interrupt)
            if approval is not None and approval.status is ApprovalStatus.PENDING:
                approvals.append(approval.public())
        return approvals

    def _invoke(self, payload: Any, ctx: AgentContext) -> None:
        with model_errors():
            self.agent.invoke(payload, self._config(ctx.thread_id), context=ctx, version="v2")

    def stream(
        self, actor: Actor, message: str, thread_id: str | None = None, dry_run: bool = False
    ) -> Iterator[tuple[str, Any]]:
        """The same turn as `chat`, as (event, data) pairs while it runs."""
        message, thread_id = self._start(actor, message, thread_id)
        with self.locks.hold(thread_id):  # as in `chat`; released if the client goes away
            self._refuse_if_paused(thread_id)
            yield "thread", {"thread_id": thread_id}
            ctx = AgentContext(actor=actor, thread_id=thread_id, request=message, dry_run=dry_run)
            before = self._message_ids(thread_id)
            with model_errors():
                for mode, data in self.agent.stream(
                    {"messages": [HumanMessage(message)]},
                    self._config(thread_id),
                    context=ctx,
                    stream_mode=["messages", "updates", "custom"],
                ):
                    yield from _events(mode, data)
            yield "done", self._result(thread_id, before).public()

    def _message_ids(self, thread_id: str) -> set[str]:
        state = self.agent.get_state(self._config(thread_id))
        return {str(m.id) for m in state.values.get("messages", [])}

    def _result(self, thread_id: str, before: set[str]) -> ChatResult:
        """What this turn added: messages are matched by id, since a resumed step can land
        results of parallel calls out of order."""
        state = self.agent.get_state(self._config(thread_id))
        new = [m for m in state.values.get("messages", []) if str(m.id) not in before]
        tool_calls = [
            {k: m.artifact.get(k) for k in ("tool", "args", "status", "result", "message")}
            for m in new
            if isinstance(m, ToolMessage) and isinstance(m.artifact, dict)
        ]
        for m in new:
            if isinstance(m, ToolMessage) and not isinstance(m.artifact, dict):
                tool_calls.append(
                    {"tool": m.name, "args": {}, "status": "rejected", "result": None,
                     "message": _content(m)}
                )  # fmt: skip
        approvals = self.pending(thread_id)
        for approval in approvals:
            tool_calls.append(
                {"tool": approval["tool"], "args": approval["args"], "status": "pending_approval",
                 "result": None, "message": approval["summary"]}
            )  # fmt: skip
        for m in new:
            for bad in m.invalid_tool_calls if isinstance(m, AIMessage) else []:
                tool_calls.append(
                    {"tool": bad.get("name") or "?", "args": {}, "status": "failed", "result": None,
                     "message": "the model sent malformed arguments; nothing was run"}
                )  # fmt: skip
        replies = [_content(m) for m in new if isinstance(m, AIMessage) and m.content]
        if not replies and any(c["status"] == "failed" for c in tool_calls):
            replies = ["The model asked for a tool with malformed arguments; nothing was run."]
        if approvals:
            lines = [f"- {a['summary']} (`{a['command']}`) — approval {a['id']}" for a in approvals]
            reply = "Waiting for your approval:\n" + "\n".join(lines)
        else:
            reply = replies[-1] if replies else "Done."
        return ChatResult(thread_id, reply, tool_calls, approvals)
