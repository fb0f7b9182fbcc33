"""The typed tool catalogue: one function per Docker action, registered with its risk class.

Each tool is `fn(ctx, args, plan) -> result`: `args` is its validated input model, `plan` the
guard-checked ActionPlan (targets resolved to immutable IDs) that it must act on. A tool's
docstring is the description a language model reads.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tools.engine_client import EngineClient
from tools.errors import UnknownTool
from tools.guard.policy import Policy, Risk
from tools.plan import ActionPlan
from tools.schemas import ToolInput


@dataclass
class ToolContext:
    """What tool bodies may use; passed in, never global."""

    docker: EngineClient
    log_tail_max: int = 1000
    policy: Policy | None = None  # lets bulk tools (prune) skip protected objects up front
    compose_dirs: tuple[Path, ...] = ()  # where compose projects may be read from


Planner = Callable[[ToolContext, Any], ActionPlan]
Runner = Callable[[ToolContext, Any, ActionPlan], Any]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    risk: Risk
    input_model: type[ToolInput]
    run: Runner
    plan: Planner
    risk_of: Callable[[Any], Risk] | None = None  # when arguments change the risk
    needs: str | None = None  # "swarm" | "compose": offered to a model only where available
    private: bool = False  # returns a target's own output (logs): of a protected one, admins only

    def risk_for(self, args: Any) -> Risk:
        return self.risk_of(args) if self.risk_of else self.risk

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.run.__doc__ or self.name)


CATALOGUE: dict[str, ToolSpec] = {}


def _no_plan(ctx: ToolContext, args: Any) -> ActionPlan:
    return ActionPlan(summary="read")


def tool(
    risk: Risk,
    input_model: type[ToolInput],
    plan: Planner | None = None,
    *,
    risk_of: Callable[[Any], Risk] | None = None,
    needs: str | None = None,
    private: bool = False,
) -> Callable[[Runner], Runner]:
    """Register a tool function under its own name (the public tool name)."""

    def register(fn: Runner) -> Runner:
        CATALOGUE[fn.__name__] = ToolSpec(
            fn.__name__, risk, input_model, fn, plan or _no_plan, risk_of, needs, private
        )
        return fn

    return register


def get_tool(name: str) -> ToolSpec:
    _load()
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownTool(f"unknown tool {name!r}; refused") from None


def all_tools() -> list[ToolSpec]:
    _load()
    return list(CATALOGUE.values())


def read_tools() -> frozenset[str]:
    """The tools that change nothing, whatever their arguments (their declared risk is READ)."""
    return frozenset(s.name for s in all_tools() if s.risk is Risk.READ and s.risk_of is None)


def to_jsonable(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    if isinstance(result, list):
        return [to_jsonable(item) for item in result]
    return result


def _load() -> None:
    # Importing the modules registers their tools.
    from tools.catalogue import (  # noqa: F401
        compose,
        containers,
        diagnosis,
        images,
        stacks,
        swarm,
        system,
        updates,
    )
