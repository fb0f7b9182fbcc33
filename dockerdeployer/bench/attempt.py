"""The outcome of one run of one task (kept light: the CLI and reports import it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "error", "skip"]


@dataclass
class Attempt:
    """One run of one task."""

    task_id: str
    category: str
    attempt: int
    status: Status
    failures: list[str] = field(default_factory=list)
    model_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    tool_calls: int = 0
    agent_seconds: float = 0.0
    wall_seconds: float = 0.0
    calls: list[str] = field(default_factory=list)  # "tool:status", in order
    reply: str = ""

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)
