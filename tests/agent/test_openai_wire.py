"""The hosted-model path over real HTTP: langchain-openai -> openai client -> a scripted
OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from agent.errors import ModelUnavailable
from tests.agent.openai_stub import ScriptedOpenAI, tool_call
from tests.conftest import restart_count


@pytest.fixture
def stub():
    with ScriptedOpenAI() as server:
        yield server


@pytest.fixture
def wire_settings(settings, stub):
    return settings.model_copy(
        update={"model": "scripted-1", "base_url": stub.base_url, "api_key": "sk-test",
                "model_timeout": 2.0, "model_max_retries": 2}
    )  # fmt: skip


def test_tool_call_round_trip(wire_settings, stub, make_assistant, make_container, admin):
    container = make_container("wire")
    stub.script(
        {"tool_calls": [tool_call("inspect_container", {"container": container.name})]},
        {"content": "It is running."},
    )
    result = make_assistant(wire_settings).chat(admin, f"status of {container.name}?")

    assert result.reply == "It is running."
    assert [(c["tool"], c["status"]) for c in result.tool_calls] == [
        ("inspect_container", "executed")
    ]
    first, second = stub.requests
    assert first["model"] == "scripted-1"
    assert {t["function"]["name"] for t in first["tools"]} >= {"restart_container", "prune"}
    assert first["messages"][0]["role"] == "system"
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and "untrusted" in tool_message["content"]


def test_approval_over_the_wire(
    wire_settings, stub, make_assistant, make_container, docker_client, admin
):
    container = make_container("wire-approve")
    before = restart_count(docker_client, container.id)
    stub.script(
        {"tool_calls": [tool_call("restart_container", {"container": container.name})]},
        {"content": "Restarted."},
    )
    assistant = make_assistant(wire_settings)
    paused = assistant.chat(admin, f"restart {container.name}")
    assert restart_count(docker_client, container.id) == before
    assert len(stub.requests) == 1  # paused before asking the model again

    assistant.gateway.decide(paused.approvals[0]["id"], admin, approve=True)
    resumed = assistant.resume(admin, paused.thread_id)

    assert resumed.reply == "Restarted."
    assert restart_count(docker_client, container.id) != before


def test_retries_on_429_and_500_then_succeeds(wire_settings, stub, make_assistant, admin):
    stub.script({"status": 429}, {"status": 500}, {"content": "hello"})
    result = make_assistant(wire_settings).chat(admin, "hi")
    assert result.reply == "hello"
    assert len(stub.requests) == 3


def test_persistent_server_error_is_a_readable_failure(wire_settings, stub, make_assistant, admin):
    stub.script({"status": 500}, {"status": 500}, {"status": 500})
    with pytest.raises(ModelUnavailable, match="HTTP 500"):
        make_assistant(wire_settings).chat(admin, "hi")


def test_wrong_key_is_reported(wire_settings, stub, make_assistant, admin):
    stub.script({"status": 401})
    with pytest.raises(ModelUnavailable, match="API key"):
        make_assistant(wire_settings).chat(admin, "hi")


def test_timeout_is_reported(wire_settings, stub, make_assistant, admin):
    settings = wire_settings.model_copy(update={"model_timeout": 0.5, "model_max_retries": 0})
    stub.script({"delay": 2})
    assistant = make_assistant(settings)  # built outside the clock: it is not what is timed
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="in time"):
        assistant.chat(admin, "hi")
    assert time.monotonic() - started < 2  # gave up at its 0.5 s timeout, before the 2 s reply


def test_endpoint_down_is_reported(settings, make_assistant, admin):
    down = settings.model_copy(
        update={"model": "m", "base_url": "http://127.0.0.1:9/v1", "model_max_retries": 0}
    )
    with pytest.raises(ModelUnavailable, match="cannot reach"):
        make_assistant(down).chat(admin, "hi")


@pytest.mark.parametrize(
    ("arguments", "reply"),
    [
        ('{"container": ', "malformed arguments; nothing was run"),  # not JSON: model not re-asked
        ('{"container": "; rm -rf /"}', "Sorry, that call was invalid."),  # fails the input model
        ('{"container": "x", "privileged": "yes"}', "Sorry, that call was invalid."),  # unknown
    ],
)
def test_malformed_tool_arguments_run_nothing(
    wire_settings, stub, make_assistant, make_container, docker_client, admin, arguments, reply
):
    container = make_container("malformed")
    before = restart_count(docker_client, container.id)
    stub.script(
        {"tool_calls": [tool_call("restart_container", arguments)]},
        {"content": "Sorry, that call was invalid."},
    )
    assistant = make_assistant(wire_settings)
    result = assistant.chat(admin, "restart something")

    assert result.approvals == []
    assert reply in result.reply
    assert restart_count(docker_client, container.id) == before
    assert [e.event for e in assistant.gateway.audit.query(event="executed")] == []


def test_streaming_chunks_reach_the_stream(wire_settings, stub, make_assistant, admin):
    stub.script({"content": "Streaming works fine."})
    events = list(make_assistant(wire_settings).stream(admin, "say something"))
    tokens = [data["text"] for event, data in events if event == "token"]
    assert len(tokens) > 1 and "".join(tokens) == "Streaming works fine."
    assert events[-1][0] == "done" and events[-1][1]["reply"] == "Streaming works fine."
    assert stub.requests[0]["stream"] is True


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("inspect_container", {"type": "function", "function": {"name": "inspect_container"}}),
        ("required", "required"),
    ],
)
def test_a_forced_tool_choice_goes_on_the_first_call_of_a_turn_only(
    wire_settings, stub, make_assistant, make_container, admin, choice, sent
):
    """DOCKERDEPLOYER_MODEL_TOOL_CHOICE (for small local models): the first call must call a
    tool, the call after the tool's result is free to answer."""
    container = make_container("wire-forced")
    stub.script(
        {"tool_calls": [tool_call("inspect_container", {"container": container.name})]},
        {"content": "It is running."},
    )
    settings = wire_settings.model_copy(update={"model_tool_choice": choice})
    result = make_assistant(settings).chat(admin, f"status of {container.name}?")
    assert result.reply == "It is running."
    first, second = stub.requests
    assert first["tool_choice"] == sent
    assert "tool_choice" not in second


def test_a_forced_tool_that_is_not_offered_is_not_forced(
    wire_settings, stub, make_assistant, admin
):
    stub.script({"content": "hello"})
    settings = wire_settings.model_copy(update={"model_tool_choice": "scale_service"})  # no swarm
    assert make_assistant(settings).chat(admin, "hi").reply == "hello"
    assert "tool_choice" not in stub.requests[0]
