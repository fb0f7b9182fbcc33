"""One paused conversation resumed by two Assistants at once (two requests, or with
--db=postgresql two replicas on one database): the turn is continued once."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent.assistant import ChatResult
from tests.agent.conftest import ScriptedModel, call, calls
from tests.agent.resume_race import MEET_SECONDS, meeting_models, resume_at_once


def test_a_paused_turn_resumed_twice_at_once_continues_once(
    settings, make_assistant, make_container, docker_client, admin
):
    container = make_container("resume-race")
    models = meeting_models(container.name)
    first = make_assistant(settings, models[0])
    second = make_assistant(settings, models[1])  # another "process" on the same store
    resume_at_once(first, second, admin, container, docker_client, models)


def test_resuming_as_the_owner_after_a_decision_is_also_continued_once(
    settings, make_assistant, make_container, docker_client, admin
):
    """`resume_thread` is what the approvals route calls after each decision."""
    container = make_container("resume-race-owner")
    models = meeting_models(container.name)
    first = make_assistant(settings, models[0])
    second = make_assistant(settings, models[1])
    resume_at_once(first, second, admin, container, docker_client, models, as_owner=True)


def test_two_approvals_of_one_turn_decided_at_once_report_what_each_call_did(
    settings, scripted, make_assistant, make_container, docker_client, admin, monkeypatch
):
    """What the approvals route does on two replicas when one turn paused two calls: each
    decides one approval, then resumes the thread. The first to resume must not hand the model
    the other call, still executing, as failed; it is reported when it is done."""
    web, db = make_container("two-calls-web"), make_container("two-calls-db")
    first = make_assistant(settings, scripted([
        calls(call("restart_container", "c1", container=web.name),
              call("restart_container", "c2", container=db.name)),
        AIMessage(content="restarted both"),
    ]))  # fmt: skip
    second = make_assistant(settings, scripted([AIMessage(content="restarted both")]))
    paused = first.chat(admin, f"restart {web.name} and {db.name}")
    one, two = paused.approvals
    # The second replica's call is still running while the first replica resumes the thread.
    executing, first_resumed = threading.Event(), threading.Event()
    run = second.gateway._run_approved

    def slow_run(*args: Any, **kwargs: Any) -> Any:
        executing.set()
        first_resumed.wait(timeout=30)
        return run(*args, **kwargs)

    monkeypatch.setattr(second.gateway, "_run_approved", slow_run)

    def on_first() -> ChatResult:
        assert executing.wait(timeout=30)
        first.gateway.decide(one["id"], admin, approve=True)
        try:
            return first.resume_thread(paused.thread_id)
        finally:
            first_resumed.set()

    def on_second() -> ChatResult:
        second.gateway.decide(two["id"], admin, approve=True)
        return second.resume_thread(paused.thread_id)

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(on_first), pool.submit(on_second)]
        results = [f.result(timeout=120) for f in futures]

    reported = [(c["tool"], c["status"]) for r in results for c in r.tool_calls]
    assert reported == [("restart_container", "executed")] * 2, reported
    state = first.agent.get_state(first._config(paused.thread_id))
    messages = state.values["messages"]
    done = sorted((m.tool_call_id, m.artifact["status"]) for m in messages
                  if isinstance(m, ToolMessage))  # fmt: skip
    assert done == [("c1", "executed"), ("c2", "executed")], messages
    assert [m.content for m in messages if isinstance(m, AIMessage) and m.content] == [
        "restarted both"
    ]
    assert not state.interrupts
    for approval in (one, two):
        executed = first.gateway.audit.query(approval_id=approval["id"], event="executed")
        assert len(executed) == 1


class MeetingOnMessages(ScriptedModel):
    """Asked to answer a person's message, first waits (up to MEET_SECONDS) for the other
    Assistant's model to be asked too: without a lock both turns run at once."""

    barrier: Any = None

    def _generate(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        if messages and isinstance(messages[-1], HumanMessage):
            with contextlib.suppress(threading.BrokenBarrierError):
                self.barrier.wait(timeout=MEET_SECONDS)
        return super()._generate(messages, *args, **kwargs)


def test_two_messages_to_one_conversation_at_once_are_both_kept(settings, make_assistant, admin):
    barrier = threading.Barrier(2)
    models = [MeetingOnMessages(messages=iter([AIMessage(content=f"reply {n}")]), seen=[],
                                barrier=barrier) for n in (1, 2)]  # fmt: skip
    first, second = (make_assistant(settings, model) for model in models)
    opening = make_assistant(settings, ScriptedModel(
        messages=iter([AIMessage(content="hi")]), seen=[]))  # fmt: skip
    thread_id = opening.chat(admin, "hello").thread_id

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(a.chat, admin, f"message {n}", thread_id)
                   for n, a in ((1, first), (2, second))]  # fmt: skip
        for future in futures:
            future.result(timeout=120)

    history = first.history(admin, thread_id)
    said = [m["content"] for m in history if m["role"] == "user"]
    assert sorted(said) == ["hello", "message 1", "message 2"], history  # none lost
    roles = [m["role"] for m in history if m["role"] in ("user", "assistant")]
    assert roles == ["user", "assistant"] * 3, roles  # each turn whole, one after the other
