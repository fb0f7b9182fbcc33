"""A deploy that runs inside a streamed turn (a role whose changes are auto-approved) streams
its image pull as `progress` events, between the tool call and its result."""

from __future__ import annotations

import contextlib

import docker.errors
from langchain_core.messages import AIMessage

from tests.agent.conftest import ScriptedModel, call, calls
from tests.conftest import RUN_ID, TEST_LABEL, unique
from tests.registry import push
from tools.guard.policy import Actor, Role


def test_a_streamed_deploy_reports_its_pull(
    registry, settings, make_assistant, docker_client, cleanup_names
):
    ref = push(docker_client, registry, "agent-stream")
    name = unique("agent-stream")
    cleanup_names.append(name)
    auto = settings.model_copy(update={"auto_approve_roles": ["operator"]})
    model = ScriptedModel(
        disable_streaming=True,
        seen=[],
        messages=iter(
            [
                calls(
                    call(
                        "run_container",
                        image=ref,
                        name=name,
                        command=["sh", "-c", "sleep 600"],
                        labels={TEST_LABEL: RUN_ID},
                    )
                ),
                AIMessage(content="deployed"),
            ]
        ),
    )  # fmt: skip (GenericFakeChatModel's streaming drops tool calls)
    assistant = make_assistant(auto, model)
    try:
        events = list(assistant.stream(Actor("oscar", Role.OPERATOR), f"deploy {ref}"))
        kinds = [event for event, _ in events]
        progress = [data for event, data in events if event == "progress"]

        assert progress and progress[0]["image"] == ref, kinds
        assert kinds.index("tool_call") < kinds.index("progress") < kinds.index("tool_result")
        assert events[-1][1]["tool_calls"][0]["status"] == "executed"
        assert docker_client.api.inspect_container(name)["State"]["Running"]
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)
