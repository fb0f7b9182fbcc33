"""A tiny scripted chat model for console tests, used when the offline planner is not importable.

It understands "list", "restart NAME", "stop NAME" and "logs of NAME", enough to drive the
console end to end without any network; anything else gets a plain text answer. After a tool
result it reports the outcome in one sentence (so an approval's follow-up reply is visible).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable

_PATTERNS = (
    (re.compile(r"\brestart\s+([A-Za-z0-9_.-]+)", re.I), "restart_container"),
    (re.compile(r"\bstop\s+([A-Za-z0-9_.-]+)", re.I), "stop_container"),
    (re.compile(r"\blogs?\s+(?:of\s+)?([A-Za-z0-9_.-]+)", re.I), "container_logs"),
)
_LIST = re.compile(r"\blist\b", re.I)


class ScriptedConsoleModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "scripted-console-model"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, BaseMessage]:
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages))])

    @staticmethod
    def _answer(messages: list[BaseMessage]) -> AIMessage:
        last = messages[-1]
        if isinstance(last, ToolMessage):
            artifact = last.artifact if isinstance(last.artifact, dict) else {}
            status = artifact.get("status", "rejected")
            detail = artifact.get("message") or last.content
            return AIMessage(content=f"The {last.name} call finished: **{status}**. {detail}")
        text = last.content if isinstance(last, HumanMessage) else ""
        if _LIST.search(str(text)):
            call = {"name": "list_containers", "args": {"status": "all"},
                    "id": f"call_{uuid.uuid4().hex[:12]}"}  # fmt: skip
            return AIMessage(content="", tool_calls=[call])
        for pattern, tool in _PATTERNS:
            match = pattern.search(str(text))
            if match:
                call = {"name": tool, "args": {"container": match.group(1)},
                        "id": f"call_{uuid.uuid4().hex[:12]}"}  # fmt: skip
                return AIMessage(content="", tool_calls=[call])
        return AIMessage(content="I can restart, stop or show logs of a container in this test.")
