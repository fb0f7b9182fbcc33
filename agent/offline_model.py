"""The offline rules planner as a LangChain chat model, so the agent loop, approvals and audit
are exactly the same with or without a hosted model.

Per user turn it plans once (against the live container list), issues the plan's batches of
tool calls one model turn at a time, stops early when a step was refused or failed, and
finally answers from the tool results.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable

from agent.planner import Plan, PlannedCall, plan_request
from agent.replies import summarise
from agent.world import PlannerWorld

PLAN_KEY = "offline_plan"
ASKED_KEY = "offline_asked"  # this reply was a clarifying question
STOP_STATUSES = {"denied", "rejected", "failed", "pending_approval"}


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part)
                    for part in content)  # fmt: skip


def _outcome(message: ToolMessage) -> dict[str, Any]:
    if isinstance(message.artifact, dict):
        return message.artifact
    # No artifact: the HITL middleware answered for a rejected call.
    return {"tool": message.name, "status": "rejected", "message": _text(message)}


def _plan(text: str, world: PlannerWorld) -> Plan:
    return plan_request(
        text,
        world.containers,
        world.images,
        hosts=world.hosts if len(world.hosts) > 1 else (),
        services=world.services,
        projects=world.projects,
    )


def _open_question(history: list[BaseMessage]) -> str | None:
    """The request behind the clarifying question that ended the previous turn, if any."""
    if not history or not isinstance(history[-1], AIMessage):
        return None
    if not history[-1].response_metadata.get(ASKED_KEY):
        return None
    asked = [m for m in history if isinstance(m, HumanMessage)]
    return _text(asked[-1]) if asked else None


class OfflinePlannerModel(BaseChatModel):
    """Deterministic, no network. `world` reads what exists now (containers on every host,
    images, services, projects) for resolving names."""

    world: Callable[[], PlannerWorld]

    @property
    def _llm_type(self) -> str:
        return "dockerdeployer-offline-planner"

    def bind_tools(
        self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        return self  # the planner only emits catalogue tools

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        start = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        if start < 0:
            return AIMessage(content="Ask me about your containers, e.g. 'list containers'.")
        turn = messages[start + 1 :]
        issued = [m for m in turn if isinstance(m, AIMessage) and m.tool_calls]
        outcomes = [_outcome(m) for m in turn if isinstance(m, ToolMessage)]
        if issued:
            steps = [[PlannedCall(**c) for c in batch] for batch in
                     json.loads(issued[0].response_metadata[PLAN_KEY])]  # fmt: skip
            plan = Plan(kind="calls", steps=steps)
        else:
            world = self.world()
            text = _text(messages[start])
            plan = _plan(text, world)
            asked = _open_question(messages[:start])
            if plan.kind != "calls" and asked is not None:
                # "restart web" -> "Which one: shop-web-1 or blog-web-1?" -> "the blog one"
                answered = _plan(f"{asked} ({text})", world)
                plan = answered if answered.kind == "calls" else plan
        if plan.kind != "calls" or not plan.steps:
            return AIMessage(
                content=plan.reply or "I did not understand that.",
                response_metadata={ASKED_KEY: plan.kind == "clarify"},
            )
        stopped = any(o.get("status") in STOP_STATUSES for o in outcomes)
        if len(issued) < len(plan.steps) and not stopped:
            batch = plan.steps[len(issued)]
            serialised = json.dumps([[{"tool": c.tool, "args": c.args} for c in b]
                                     for b in plan.steps])  # fmt: skip
            return AIMessage(
                content="",
                tool_calls=[
                    {"name": c.tool, "args": c.args, "id": f"call_{uuid.uuid4().hex[:12]}"}
                    for c in batch
                ],
                response_metadata={PLAN_KEY: serialised},
            )
        return AIMessage(content=summarise(outcomes))
