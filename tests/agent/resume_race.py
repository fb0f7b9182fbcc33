"""Two Assistants (two API replicas, or two requests) continuing one paused turn at once.

Used by tests/agent (SQLite, one process) and tests/postgres (separate Assistants on one
PostgreSQL database). The models meet at a barrier before answering the tool result, so without
a per-conversation lock both would continue the turn; with it the second waits, finds nothing
left to resume, and the barrier times out.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from agent.assistant import Assistant, ChatResult
from tests.agent.conftest import ScriptedModel, call, calls
from tests.conftest import restart_count
from tools.guard.policy import Actor

MEET_SECONDS = 3.0


class MeetingModel(ScriptedModel):
    """A scripted model that, asked to answer a tool result, first waits (up to MEET_SECONDS)
    for the other Assistant's model to be asked too."""

    barrier: Any = None

    def _generate(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        if messages and isinstance(messages[-1], ToolMessage) and self.barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=MEET_SECONDS)
        return super()._generate(messages, *args, **kwargs)


def meeting_models(container: str) -> tuple[MeetingModel, MeetingModel]:
    """The first asks for the restart and reports it; the second only reports it."""
    barrier = threading.Barrier(2)
    first = MeetingModel(
        messages=iter([calls(call("restart_container", container=container)),
                       AIMessage(content="restarted (first)")]),
        seen=[], barrier=barrier,
    )  # fmt: skip
    second = MeetingModel(
        messages=iter([AIMessage(content="restarted (second)")]), seen=[], barrier=barrier
    )
    return first, second


def continuations(*models: ScriptedModel) -> int:
    """How many times the models were asked to answer a tool result."""
    return sum(
        1 for model in models for seen in model.seen if seen and isinstance(seen[-1], ToolMessage)
    )


def resume_at_once(
    first: Assistant,
    second: Assistant,
    actor: Actor,
    container: Any,
    docker_client: Any,
    models: tuple[ScriptedModel, ScriptedModel],
    as_owner: bool = False,
) -> None:
    """Pause a restart on `first`, approve it, then resume the thread on both at once (as
    `actor`, or `as_owner` as the approvals route does after a decision); assert the restart
    ran once and the turn was continued once."""
    paused = first.chat(actor, f"restart {container.name}")
    [approval] = paused.approvals
    before = restart_count(docker_client, container.id)
    assert first.gateway.decide(approval["id"], actor, approve=True).status == "executed"

    start = threading.Barrier(2)

    def go(assistant: Assistant) -> ChatResult:
        start.wait(timeout=30)
        if as_owner:
            return assistant.resume_thread(paused.thread_id)
        return assistant.resume(actor, paused.thread_id)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(go, (first, second)))

    assert restart_count(docker_client, container.id) != before
    executed = first.gateway.audit.query(approval_id=approval["id"], event="executed")
    assert len(executed) == 1, executed
    # The turn was continued once: one model call on the tool result, one reply handed back.
    assert continuations(*models) == 1, [r.reply for r in results]
    replies = [r.reply for r in results if r.reply.startswith("restarted")]
    assert len(replies) == 1, [r.public() for r in results]
    # ... and the thread holds the tool's result and the reply once, seen from either side.
    for assistant in (first, second):
        state = assistant.agent.get_state(assistant._config(paused.thread_id))
        messages = state.values["messages"]
        tool_results = [m for m in messages if isinstance(m, ToolMessage)]
        answers = [m for m in messages if isinstance(m, AIMessage) and m.content]
        assert len(tool_results) == 1, messages
        assert [m.content for m in answers] == replies, messages
        assert not state.interrupts
