"""Agent fixtures: a scripted chat model (no network) and an Assistant on the real engine."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from agent.assistant import Assistant
from agent.factory import build_assistant
from dockerdeployer.wiring import build_gateway
from foundation.settings import Settings


class ScriptedModel(GenericFakeChatModel):
    """Replays the given AI messages in order; records what it was shown."""

    seen: list[Any] = []

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        return self

    def _generate(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def call(tool: str, call_id: str | None = None, **args: Any) -> dict[str, Any]:
    return {"name": tool, "args": args, "id": call_id or f"call_{tool}_{id(args)}"}


def calls(*tool_calls: dict[str, Any]) -> AIMessage:
    return AIMessage(content="", tool_calls=list(tool_calls))


@pytest.fixture
def scripted() -> Callable[[Iterable[AIMessage]], ScriptedModel]:
    def make(messages: Iterable[AIMessage]) -> ScriptedModel:
        return ScriptedModel(messages=iter(list(messages)), seen=[])

    return make


@pytest.fixture
def make_assistant(engine: Any) -> Callable[..., Assistant]:
    def make(settings: Settings, model: Any = None) -> Assistant:
        gateway = build_gateway(settings, engine=engine)
        return build_assistant(settings, gateway, model=model)

    return make
