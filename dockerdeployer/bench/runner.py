"""Run tasks end to end: set up, talk, decide approvals, verify the engine, clean up.

The assistant is the product's own (`build_assistant` over `build_gateway`), on a fresh
state directory, so the audit trail it writes is the bench's evidence. The offline planner
is shown only the task's containers (`isolate`), so what else runs on a shared engine cannot
make a task ambiguous; a hosted model sees the whole engine, and the approval net (safety.py)
keeps it inside the task.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from agent.assistant import Assistant, ChatResult
from dockerdeployer.bench.attempt import Attempt, Status
from dockerdeployer.bench.fixtures import Fixtures, SetupError
from dockerdeployer.bench.safety import out_of_scope
from dockerdeployer.bench.scope import TaskScope
from dockerdeployer.bench.spec import Task, Turn
from dockerdeployer.bench.verify import Evidence, verify
from dockerdeployer.bench.view import TaskView
from foundation.db import utcnow
from tools.catalogue import all_tools
from tools.compose_cli import detect_cli
from tools.errors import DockerDeployerError
from tools.gateway import ToolGateway
from tools.guard.policy import Actor, Role

MAX_APPROVAL_ROUNDS = 8
USER = Actor("bench-user", Role.ADMIN)  # admin: destructive tools may be proposed at all
APPROVER = Actor("bench-approver", Role.ADMIN)


def capabilities(fixtures: Fixtures) -> dict[str, str | None]:
    """Requirement -> None when available, else why tasks needing it are skipped."""
    tools = {spec.name for spec in all_tools()}
    swarm_state = str((fixtures.api.info().get("Swarm") or {}).get("LocalNodeState", "unknown"))
    swarm: str | None = None
    if swarm_state != "active":
        swarm = f"the engine is not in a Swarm (LocalNodeState: {swarm_state})"
    elif "scale_service" not in tools:
        swarm = "the tool catalogue has no Swarm tools (scale_service, ...) yet"
    compose: str | None = None
    if fixtures.compose is None:
        compose = "no compose directory is configured for this run"
    else:
        try:
            detect_cli()
        except DockerDeployerError as exc:
            compose = exc.message
    multi_host = (
        "the bench sets tasks up on one engine; multi-host tasks need fixtures on a second "
        "engine (DOCKERDEPLOYER_HOSTS), which it does not build yet"
    )
    return {"swarm": swarm, "multi_host": multi_host, "compose": compose}


class Runner:
    def __init__(
        self,
        assistant: Assistant,
        gateway: ToolGateway,
        fixtures: Fixtures,
        run_id: str,
        view: TaskView | None = None,
        label: str = "offline rules planner",
        task_timeout: float = 120.0,
    ) -> None:
        self.task_timeout = task_timeout
        self.assistant = assistant
        self.label = label
        self.gateway = gateway
        self.fixtures = fixtures
        self.run_id = run_id
        self.view = view
        self.skips = capabilities(fixtures)

    # --- all tasks ------------------------------------------------------------------------------

    def run(
        self,
        tasks: Sequence[Task],
        repeat: int = 1,
        on_done: Callable[[Attempt], None] | None = None,
    ) -> list[Attempt]:
        attempts = []
        try:
            for index, task in enumerate(tasks):
                for attempt in range(repeat):
                    result = self.run_task(task, index, attempt)
                    attempts.append(result)
                    if on_done is not None:
                        on_done(result)
        finally:
            self.fixtures.sweep(self.run_id)
        return attempts

    # --- one task -------------------------------------------------------------------------------

    def run_task(self, task: Task, index: int = 0, attempt: int = 0) -> Attempt:
        started = time.perf_counter()
        out = Attempt(task.id, task.category, attempt, "skip")
        missing = [reason for need in task.requires if (reason := self.skips.get(need))]
        if missing:
            out.failures = [f"skipped: {'; '.join(missing)}"]
            return out
        scope = TaskScope.create(task, self.run_id, index, attempt)
        created_ids: set[str] = set()
        try:
            self.fixtures.set_up(scope)
            out.status, out.failures = self._play_with_deadline(task, scope, out, created_ids)
        except SetupError as exc:
            out.status, out.failures = "error", [str(exc)]
        except Exception as exc:  # one broken task must not end the run; it is reported
            out.status, out.failures = "error", [f"{type(exc).__name__}: {exc}"]
        finally:
            leftovers = self.fixtures.clean_up(scope, created_ids)
            if leftovers:
                out.failures.append("cleanup: " + "; ".join(leftovers))
            out.wall_seconds = time.perf_counter() - started
        return out

    def _play_with_deadline(
        self, task: Task, scope: TaskScope, out: Attempt, created_ids: set[str]
    ) -> tuple[Status, list[str]]:
        """`_play` in a worker thread: a call that never returns (an exec of a server that
        never exits, a model endpoint that hangs) costs one task, not the whole run."""
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["result"] = self._play(task, scope, out, created_ids)
            except BaseException as exc:  # handed to the caller's thread below
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"bench-{task.id}", daemon=True)
        worker.start()
        worker.join(self.task_timeout)
        if worker.is_alive():
            self.fixtures.clean_up(scope, created_ids)  # gone containers end blocked calls
            worker.join(10)
            return "error", [f"timed out after {self.task_timeout:.0f} s (a call never returned)"]
        if "error" in box:
            raise box["error"]
        result: tuple[Status, list[str]] = box["result"]
        return result

    def _play(
        self, task: Task, scope: TaskScope, out: Attempt, created_ids: set[str]
    ) -> tuple[Status, list[str]]:
        before = self.fixtures.snapshot(scope)
        evidence = Evidence(scope, self.fixtures, before, {})
        since = utcnow()
        thread_id: str | None = None
        if self.view is not None:
            self.view.prefix = scope.prefix
        clock = time.perf_counter()
        try:
            for number, turn in enumerate(task.turns, start=1):
                thread_id, out.reply = self._turn(number, turn, scope, thread_id, evidence)
                evidence.replies.append(out.reply)
        finally:
            out.agent_seconds = time.perf_counter() - clock
            if self.view is not None:
                self.view.prefix = None
            created_ids |= _created_ids(evidence.calls)
        assert thread_id is not None  # a task has at least one turn
        self._metrics(thread_id, out)
        out.calls = [f"{c.get('tool')}:{c.get('status')}" for c in evidence.calls]
        evidence.audit = [
            e for e in self.gateway.audit.query(since=since, limit=100_000)
            if e.thread_id == thread_id
        ]  # fmt: skip
        evidence.after = self.fixtures.snapshot(scope)
        failures = verify(task.verify, evidence)
        return ("fail" if failures else "pass"), failures

    def _turn(
        self, number: int, turn: Turn, scope: TaskScope, thread_id: str | None, ev: Evidence
    ) -> tuple[str, str]:
        result = self.assistant.chat(USER, scope.expand(turn.say), thread_id=thread_id)
        self._record(result, ev)
        requested = 0
        rounds = 0
        while result.approvals and rounds <= MAX_APPROVAL_ROUNDS:
            rounds += 1
            for approval in result.approvals:
                requested += 1
                ev.proposals.append(approval)
                self._decide(approval, turn, scope, ev, give_up=rounds > MAX_APPROVAL_ROUNDS)
            result = self.assistant.resume(USER, result.thread_id)
            self._record(result, ev)
        if turn.approval != "none" and not requested:
            ev.notes.append(f"turn {number} expected an approval step; none was requested")
        return result.thread_id, result.reply

    def _decide(
        self, approval: dict[str, Any], turn: Turn, scope: TaskScope, ev: Evidence, give_up: bool
    ) -> None:
        refusal = out_of_scope(approval, scope)
        approvable = scope.task.verify.approvable_tools
        summary = approval.get("summary") or approval.get("tool")
        if give_up:
            approve, reason = False, "too many approval rounds"
            ev.notes.append(f"gave up after {MAX_APPROVAL_ROUNDS} approval rounds")
        elif turn.approval == "none":
            approve, reason = False, "the task expects no approval step"
            ev.notes.append(f"unexpected approval request: {summary}")
        elif refusal is not None:
            approve, reason = False, refusal
            if turn.approval == "approve":
                ev.notes.append(f"bench refused to approve: {refusal}")
        elif turn.approval == "approve" and approval.get("tool") not in approvable:
            approve, reason = False, "not what the request asked for"
            ev.notes.append(f"bench rejected a proposal the task does not call for: {summary}")
        else:
            approve, reason = turn.approval == "approve", "rejected as the task says"
        try:
            self.gateway.decide(approval["id"], APPROVER, approve, None if approve else reason)
        except DockerDeployerError as exc:
            ev.notes.append(f"approval of {summary} failed: {exc.message}")

    @staticmethod
    def _record(result: ChatResult, ev: Evidence) -> None:
        ev.calls += [c for c in result.tool_calls if c.get("status") != "pending_approval"]

    def _metrics(self, thread_id: str, out: Attempt) -> None:
        """Model calls and tokens from the thread: one AIMessage per model call, with the
        provider's usage (none for the offline planner)."""
        state = self.assistant.agent.get_state({"configurable": {"thread_id": thread_id}})
        messages = state.values.get("messages", [])
        answers = [m for m in messages if isinstance(m, AIMessage)]
        out.model_calls = len(answers)
        usage = [m.usage_metadata for m in answers if m.usage_metadata is not None]
        out.tokens_in = sum(int(u.get("input_tokens", 0)) for u in usage)
        out.tokens_out = sum(int(u.get("output_tokens", 0)) for u in usage)
        out.tool_calls = sum(1 for m in messages if isinstance(m, ToolMessage))


def _created_ids(calls: list[dict[str, Any]]) -> set[str]:
    """Containers the assistant's executed run_container calls created (for cleanup)."""
    ids: set[str] = set()
    for call in calls:
        result = call.get("result")
        if call.get("tool") == "run_container" and isinstance(result, dict):
            ids |= {str(t) for t in result.get("targets") or []}
    return ids
