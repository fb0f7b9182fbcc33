"""Per-request context the agent's tools receive at run time (LangGraph runtime context)."""

from __future__ import annotations

from dataclasses import dataclass

from tools.guard.policy import Actor


@dataclass(frozen=True)
class AgentContext:
    actor: Actor
    thread_id: str
    request: str = ""
    dry_run: bool = False
