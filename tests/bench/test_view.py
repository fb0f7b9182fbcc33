"""The offline planner, narrowed to the current task, sees only what the task owns."""

from __future__ import annotations

from agent.offline_model import OfflinePlannerModel
from agent.planner import ContainerBrief
from agent.world import PlannerWorld
from dockerdeployer.bench.scope import TEST_IMAGE
from dockerdeployer.bench.view import TaskView

WORLD = PlannerWorld(
    containers=[ContainerBrief("bxq01a-web", TEST_IMAGE, "running"),
                ContainerBrief("shop-web-1", "nginx:1.27", "running")],
    images=[TEST_IMAGE, "bxq01a-img:1", "nginx:1.27"],
    projects=["bxq01a-shop", "shop"],
)  # fmt: skip


def test_the_view_keeps_only_the_tasks_names_and_the_test_image() -> None:
    view = TaskView()
    model = view.narrow(OfflinePlannerModel(world=lambda: WORLD))
    assert len(model.world().containers) == 2  # between tasks: everything
    view.prefix = "bxq01a"
    seen = model.world()
    assert [c.name for c in seen.containers] == ["bxq01a-web"]
    assert seen.images == [TEST_IMAGE, "bxq01a-img:1"]
    assert seen.projects == ["bxq01a-shop"]
