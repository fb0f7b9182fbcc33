"""The offline planner model on its own: a conversation, no engine (the world is given)."""

from __future__ import annotations

from langchain_core.messages import HumanMessage

from agent.offline_model import OfflinePlannerModel
from agent.planner import ContainerBrief
from agent.world import PlannerWorld

WORLD = PlannerWorld(
    containers=[
        ContainerBrief(name="shop-web-1", image="nginx:1.27", state="running"),
        ContainerBrief(name="blog-web-1", image="nginx:1.27", state="running"),
        ContainerBrief(name="shop-db-1", image="postgres:16", state="running"),
    ]
)


def test_an_answer_to_its_own_question_completes_the_request():
    model = OfflinePlannerModel(world=lambda: WORLD)
    history: list = [HumanMessage("restart web")]
    question = model.invoke(history)
    assert "shop-web-1" in question.content and not question.tool_calls

    history += [question, HumanMessage("the blog one")]
    answer = model.invoke(history)

    assert [(c["name"], c["args"]) for c in answer.tool_calls] == [
        ("restart_container", {"container": "blog-web-1"})
    ]


def test_an_unrelated_message_after_a_question_is_planned_on_its_own():
    model = OfflinePlannerModel(world=lambda: WORLD)
    history: list = [HumanMessage("restart web")]
    history += [model.invoke(history), HumanMessage("list running containers")]
    answer = model.invoke(history)
    assert [c["name"] for c in answer.tool_calls] == ["list_containers"]


def test_no_question_pending_means_no_merging():
    model = OfflinePlannerModel(world=lambda: WORLD)
    history: list = [HumanMessage("list containers")]
    first = model.invoke(history)
    assert first.tool_calls  # a call, not a question
    reply = model.invoke([HumanMessage("the blog one")])
    assert not reply.tool_calls
