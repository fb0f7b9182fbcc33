"""End to end with a real model server: the catalogue's schemas reach the model, the tool calls
it sends come back through the real parser (langchain-openai over the openai client), malformed
or invalid calls are refused before anything runs, and a change waits for a person.

The model (135M parameters) is too small to choose well, so each turn forces the tool under test
(DOCKERDEPLOYER_MODEL_TOOL_CHOICE, which llama.cpp turns into a grammar over that tool's
schema); what it writes into the arguments is its own.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from agent.factory import build_assistant
from agent.lc_tools import GatewayTools, compact_schema
from dockerdeployer.wiring import build_gateway
from tests.conftest import restart_count
from tools.catalogue import get_tool
from tools.store import AuditRow

# A real model on 2 shared cores: a request's prompt takes 15-46 s under load (more while
# other tiers run), and a test may make several; the suite's 300 s is for everything else.
pytestmark = pytest.mark.timeout(900)


def assistant_for(settings: Any, engine: Any) -> Any:
    return build_assistant(settings, build_gateway(settings, engine=engine))


def audit_events(assistant: Any, tool: str) -> list[str]:
    with assistant.sessions() as session:
        return list(session.scalars(select(AuditRow.event).where(AuditRow.tool == tool)))


def test_the_catalogue_reaches_the_model_and_its_tool_call_runs(
    model_settings, proxy, engine, make_container, operator
):
    make_container("llm-list")
    settings = model_settings("list_containers")
    assistant = assistant_for(settings, engine)
    result = assistant.chat(operator, "list all containers")

    first = proxy.requests[0]
    offered = GatewayTools(assistant.gateway).tools()
    sent = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert set(sent) == {tool.name for tool in offered}
    for tool in offered:  # the compact schema of each tool ($defs inlined by the client)
        schema = tool.tool_call_schema
        wire = sent[tool.name]["parameters"]
        if "$defs" in schema:
            assert set(wire["properties"]) == set(schema["properties"]), tool.name
            assert wire.get("required") == schema.get("required"), tool.name
        else:
            assert wire == schema, tool.name
        assert sent[tool.name]["description"] == tool.description
    assert first["tool_choice"] == {"type": "function", "function": {"name": "list_containers"}}
    assert first["messages"][0]["role"] == "system"

    # The server's own answer carried a tool call, which the real parser turned into one.
    answer = proxy.responses[0]["choices"][0]["message"]
    assert answer["tool_calls"][0]["function"]["name"] == "list_containers"
    listed = [c for c in result.tool_calls if c["tool"] == "list_containers"]
    assert listed, result.tool_calls
    assert listed[0]["status"] in ("executed", "failed"), listed  # failed: args it made up
    if listed[0]["status"] == "executed":
        assert isinstance(listed[0]["result"], list)
    # The tool's output went back to the model, fenced as untrusted data.
    assert len(proxy.requests) >= 2
    tool_messages = [m for m in proxy.requests[1]["messages"] if m["role"] == "tool"]
    assert tool_messages and "untrusted" in tool_messages[0]["content"]


def test_a_change_the_model_asks_for_waits_for_a_person(
    model_settings, proxy, engine, make_container, docker_client, operator, admin
):
    container = make_container("llm-rs")
    before = restart_count(docker_client, container.id)
    assistant = assistant_for(model_settings("restart_container"), engine)
    result = assistant.chat(operator, f"restart {container.name}")

    asked = json.loads(
        proxy.responses[0]["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    )
    calls = [c for c in result.tool_calls if c["tool"] == "restart_container"]
    assert calls, result.tool_calls
    # Whatever the model wrote, nothing was restarted without a person.
    assert restart_count(docker_client, container.id) == before
    assert "executed" not in audit_events(assistant, "restart_container")
    if asked.get("container") == container.name:
        assert calls[0]["status"] == "pending_approval", calls
        (approval,) = result.approvals
        assert approval["args"]["container"] == container.name
        assistant.gateway.decide(approval["id"], admin, approve=True)
        assistant.resume(operator, result.thread_id)
        assert restart_count(docker_client, container.id) != before
    else:  # it named something else: refused or not found, never run
        assert calls[0]["status"] in ("failed", "denied", "pending_approval"), calls


def test_malformed_arguments_from_the_model_run_nothing(
    model_settings, proxy, engine, make_container, docker_client, operator
):
    container = make_container("llm-bad")
    before = restart_count(docker_client, container.id)

    def truncate(data: dict[str, Any]) -> dict[str, Any]:
        for choice in data.get("choices", []):
            for call in choice["message"].get("tool_calls") or []:
                call["function"]["arguments"] = '{"container": "' + container.name  # cut off
        return data

    proxy.rewrite = truncate
    assistant = assistant_for(model_settings("restart_container"), engine)
    result = assistant.chat(operator, f"restart {container.name}")
    proxy.rewrite = None

    assert proxy.responses[0]["choices"][0]["message"]["tool_calls"], "no tool call to break"
    assert any(
        c["status"] == "failed" and "malformed" in (c["message"] or "") for c in result.tool_calls
    ), result.tool_calls
    assert result.approvals == []
    assert restart_count(docker_client, container.id) == before
    assert audit_events(assistant, "restart_container") == []


def test_arguments_the_schema_refuses_are_rejected_by_validation(
    model_settings, proxy, engine, make_container, operator
):
    container = make_container("llm-inval")

    def invalid(data: dict[str, Any]) -> dict[str, Any]:
        for choice in data.get("choices", []):
            for call in choice["message"].get("tool_calls") or []:
                call["function"]["arguments"] = json.dumps(
                    {"container": container.name, "tail": -5, "privileged": True}
                )
        return data

    proxy.rewrite = invalid
    assistant = assistant_for(model_settings("container_logs"), engine)
    result = assistant.chat(operator, f"logs of {container.name}")
    proxy.rewrite = None

    # The tool's full input model refuses it before the gateway is asked: nothing runs, and
    # the model is told why (so it can correct itself).
    logs = [c for c in result.tool_calls if c["tool"] == "container_logs"]
    assert logs and logs[0]["status"] in ("rejected", "failed"), result.tool_calls
    assert "executed" not in audit_events(assistant, "container_logs")
    told = [m for m in proxy.requests[1]["messages"] if m["role"] == "tool"]
    assert told and "tail" in told[-1]["content"] and "privileged" in told[-1]["content"]
    # The schema the model saw for that tool is the one validation enforces.
    schema = compact_schema(get_tool("container_logs").input_model.model_json_schema())
    assert "privileged" not in schema.get("properties", {})
