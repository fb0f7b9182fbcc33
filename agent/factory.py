"""One factory builds the agent: model (offline planner or any OpenAI-compatible endpoint),
the guarded tools, the approval middleware, call limits and the checkpointer."""

from __future__ import annotations

from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import (
    HumanInTheLoopMiddleware,
    ModelCallLimitMiddleware,
    ToolCallLimitMiddleware,
)
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

import prompts
from agent.assistant import Assistant
from agent.context import AgentContext
from agent.lc_tools import GatewayTools
from foundation.settings import Settings
from tools.gateway import ToolGateway

MODEL_CALLS_PER_RUN = 12
TOOL_CALLS_PER_RUN = 25


def system_prompt() -> str:
    return prompts.load("system.md")


def build_model(settings: Settings, gateway: ToolGateway) -> BaseChatModel:
    if settings.model:
        from langchain_openai import ChatOpenAI

        class CompatibleChatOpenAI(ChatOpenAI):
            """An assistant turn that only calls tools goes out with `content: ""`, not `null`:
            OpenAI takes either, llama.cpp's server (llama-cpp-python) refuses `null` with a
            500, which broke every turn after a tool call (found by tests/model_server)."""

            def _get_request_payload(self, input_: Any, *, stop: Any = None, **kw: Any) -> dict:
                payload = super()._get_request_payload(input_, stop=stop, **kw)
                for message in payload.get("messages") or []:
                    if message.get("role") == "assistant" and message.get("content") is None:
                        message["content"] = ""
                return payload

        return CompatibleChatOpenAI(
            model=settings.model,
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",
            timeout=settings.model_timeout,
            max_retries=settings.model_max_retries,  # the openai client backs off on 429/5xx
            temperature=0,
        )

    from agent.offline_model import OfflinePlannerModel
    from agent.world import read_world

    features = deployment_features(settings, gateway)
    return OfflinePlannerModel(world=lambda: read_world(gateway, features))


def forced_tool_choice(choice: str) -> Any:
    """Middleware: the first model call of a turn (answering the person, not a tool result)
    must call a tool (`required`) or the named tool; later calls are the model's choice, so it
    can report what the tool did. A named tool that is not offered is not forced."""
    from langchain.agents.middleware import ModelRequest, wrap_model_call
    from langchain_core.messages import HumanMessage

    named = choice not in ("required", "any", "auto", "none")
    value: Any = {"type": "function", "function": {"name": choice}} if named else choice

    @wrap_model_call
    def force_tool_choice(request: ModelRequest, handler: Any) -> Any:
        last = request.messages[-1] if request.messages else None
        offered = {getattr(tool, "name", None) for tool in request.tools}
        if isinstance(last, HumanMessage) and (not named or choice in offered):
            request = request.override(tool_choice=value)
        return handler(request)

    return force_tool_choice


def model_label(settings: Settings) -> str:
    if not settings.model:
        return "offline rules planner"
    return f"{settings.model} @ {settings.base_url or 'api.openai.com'}"


def build_checkpointer(settings: Settings) -> BaseCheckpointSaver[Any]:
    """Checkpoints in the project's database (SQLite file or PostgreSQL), so a pending approval
    survives a restart and, with several API replicas, resumes on any of them."""
    from agent.checkpoints import postgres_checkpointer, sqlite_checkpointer

    url = make_url(settings.resolved_database_url)
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database and url.database != ":memory:":
        return sqlite_checkpointer(url.database)
    if backend == "postgresql":
        return postgres_checkpointer(settings.resolved_database_url)
    raise ValueError(
        f"DOCKERDEPLOYER_DATABASE_URL: agent checkpoints need a SQLite file or PostgreSQL, "
        f"not {backend}{' in memory' if backend == 'sqlite' else ''}"
    )


def deployment_features(settings: Settings, gateway: ToolGateway) -> frozenset[str]:
    features = {"compose"} if settings.compose_dirs else set()
    if gateway.swarm_hosts():
        features.add("swarm")
    return frozenset(features)


def build_agent(
    settings: Settings,
    gateway: ToolGateway,
    *,
    model: BaseChatModel | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> Any:
    tools = GatewayTools(gateway, deployment_features(settings, gateway))
    middleware: list[Any] = [
        # First, so it wraps the tool call: the guard decides, then a person, then the tool.
        HumanInTheLoopMiddleware(interrupt_on=tools.interrupt_on(), interrupt_mode="per_call"),
        ModelCallLimitMiddleware(run_limit=MODEL_CALLS_PER_RUN, exit_behavior="end"),
        ToolCallLimitMiddleware(run_limit=TOOL_CALLS_PER_RUN, exit_behavior="continue"),
    ]
    if settings.model and settings.model_tool_choice:
        middleware.append(forced_tool_choice(settings.model_tool_choice))
    return create_agent(
        model or build_model(settings, gateway),
        tools=tools.tools(),
        system_prompt=system_prompt(),
        middleware=middleware,
        context_schema=AgentContext,
        checkpointer=checkpointer or build_checkpointer(settings),
    )


def build_assistant(
    settings: Settings, gateway: ToolGateway, model: BaseChatModel | None = None
) -> Assistant:
    return Assistant(gateway, build_agent(settings, gateway, model=model))
