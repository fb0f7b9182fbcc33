"""Bench test helpers: build scopes and evidence without running the assistant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from dockerdeployer.bench.fixtures import ContainerState
from dockerdeployer.bench.loader import parse_task
from dockerdeployer.bench.scope import TaskScope
from dockerdeployer.bench.spec import Task
from tools.audit import AuditEntry


def make_task(verify: str, containers: tuple[str, ...] = ("web", "api"), extra: str = "") -> Task:
    setup = "".join(f'\n[[setup.containers]]\nname = "{name}"\n' for name in containers)
    text = (
        'id = "tt"\ncategory = "lifecycle"\ndescription = "test"\n'
        f'{setup}{extra}\n[[turns]]\nsay = "do it"\n\n[verify]\n{verify}\n'
    )
    return parse_task(text, "t.toml")


def state(
    name: str, status: str = "running", started: str = "2025-01-01T00:00:00Z"
) -> ContainerState:
    return ContainerState(id=f"id-{name}", name=name, status=status, started_at=started,
                          exit_code=0)  # fmt: skip


def audit(event: str, tool: str, container_id: str | None = None, **args: Any) -> AuditEntry:
    return AuditEntry(
        id=0, ts=datetime(2025, 1, 1), event=event, actor="bench-user", role="admin", tool=tool,
        host="local", args=args, thread_id="t", call_id=None, approval_id=None, approver=None,
        request=None, message=None,
        targets={"ids": [f"container:{container_id}"]} if container_id else None,
    )  # fmt: skip


@pytest.fixture
def scope_for() -> Any:
    def make(task: Task) -> TaskScope:
        scope = TaskScope(task=task, run_id="qzkmt", prefix="bxqzkmt00a", ports={"port": 18080})
        scope.container_ids = {name: f"id-{name}" for name in task.container_names}
        return scope

    return make
