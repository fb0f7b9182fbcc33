"""Wire a Runner from settings: the product's gateway and assistant on a throwaway state dir."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from foundation.settings import Settings

if TYPE_CHECKING:  # the agent stack is imported when a run starts, not with the CLI
    from dockerdeployer.bench.runner import Runner
    from tools.engine import Engine


@dataclass(frozen=True)
class ModelChoice:
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    isolate: bool = True  # offline planner: show it only the task's containers

    def settings(self, home: Path) -> Settings:
        # A fresh home: the bench's audit trail is its evidence and must hold nothing else.
        # No auto-approval whatever the environment says: approval steps are part of the tasks.
        # Compose projects: only the bench's own directory, where tasks write theirs.
        return Settings(
            home=home,
            database_url=None,
            auto_approve_roles=[],
            compose_dirs=[str(home / "compose")],
            model=self.model,
            base_url=self.base_url,
            api_key=self.api_key,
        )


@contextmanager
def open_runner(
    choice: ModelChoice, engine: Engine | None = None, task_timeout: float = 120.0
) -> Iterator[Runner]:
    from agent.factory import build_assistant, build_model, model_label
    from dockerdeployer.bench.compose_fixtures import ComposeFixtures
    from dockerdeployer.bench.fixtures import Fixtures
    from dockerdeployer.bench.runner import Runner
    from dockerdeployer.bench.scope import new_run_id
    from dockerdeployer.bench.view import TaskView
    from dockerdeployer.wiring import build_gateway
    from tools.manager import DockerManager

    with tempfile.TemporaryDirectory(prefix="dockerdeployer-bench-") as home:
        settings = choice.settings(Path(home))
        compose_root = Path(settings.compose_dirs[0])
        compose_root.mkdir()
        gateway = build_gateway(settings, engine=engine)
        manager = gateway.managers[gateway.default_host]
        assert isinstance(manager, DockerManager)  # the bench runs on real engines only
        view: TaskView | None = None
        model = None
        if not settings.model and choice.isolate:
            view = TaskView()
            model = view.narrow(build_model(settings, gateway))
        assistant = build_assistant(settings, gateway, model=model)
        # The scenario set-up acts as the world outside the assistant (like a test's own
        # client), still through the guarded engine client.
        fixtures = Fixtures(manager.engine.api, ComposeFixtures(manager, compose_root))
        runner = Runner(
            assistant, gateway, fixtures, new_run_id(), view, model_label(settings), task_timeout
        )
        try:
            yield runner
        finally:
            fixtures.sweep(runner.run_id)
            if engine is None:  # ours to close; a caller's engine stays open
                manager.engine.close()
