"""The offline planner's view of the engine, narrowed to the current task.

The planner resolves names against what exists ("restart the api" -> the one container with
`api` in its name). On a shared engine, other people's containers would make the same task
ambiguous on one machine and clear on another; shown only the task's own containers, images,
services and projects, the planner is measured on the request, not on the neighbours.
A hosted model is not narrowed: it sees what its tools return, and the approval net
(safety.py) keeps it inside the task.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel

from dockerdeployer.bench.scope import TEST_IMAGE

Model = TypeVar("Model", bound=BaseChatModel)


class TaskView:
    def __init__(self) -> None:
        self.prefix: str | None = None  # None between tasks: everything is visible

    def owns(self, name: str) -> bool:
        return self.prefix is None or name.lstrip("/").startswith(self.prefix + "-")

    def narrow(self, model: Model) -> Model:
        """The same offline planner model, reading only what the current task owns."""
        if "world" not in type(model).model_fields:
            raise TypeError(f"{type(model).__name__} reads no world the bench could narrow")
        read_world: Callable[[], Any] = model.world  # type: ignore[attr-defined]
        return model.model_copy(update={"world": lambda: self.world(read_world())})

    def world(self, world: Any) -> Any:
        if self.prefix is None:
            return world
        keep: dict[str, Callable[[Any], bool]] = {
            "containers": lambda c: self.owns(c.name),
            "services": lambda s: self.owns(s.name),
            "projects": lambda p: self.owns(str(p)),
            "images": lambda i: i == TEST_IMAGE or self.owns(str(i)),
        }
        narrowed = {
            name: [item for item in getattr(world, name) if test(item)]
            for name, test in keep.items()
            if hasattr(world, name)
        }
        return dataclasses.replace(world, **narrowed)
