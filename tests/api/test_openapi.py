"""The OpenAPI schema is the contract bots generate clients from: every success response is
typed, each response model carries every field its service produces, and a client generated
from the schema works against the running API."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from agent.assistant import ChatResult
from api.schemas import (
    ApprovalPublic,
    AuditEntryPublic,
    BotTokenCreatedPublic,
    BotTokenPublic,
    ChatPublic,
    OutcomePublic,
    ThreadSummaryPublic,
    UserCreatedPublic,
    UserPublic,
    UserUpdatedPublic,
)
from api.services import Services
from tests.ui.live import PASSWORD, USERS, run_api
from tools.approvals import Approval, ApprovalStatus
from tools.audit import AuditEntry
from tools.gateway import CallOutcome
from tools.guard.policy import Actor, Role

ROUTES = (
    30  # + problems, stats, system/disk, containers/{ref}/diagnosis, approvals/{id}/stream (#15)
)
# Not JSON: documented by media type, with a string schema.
STREAMED = {"text/event-stream", "text/csv"}
SCALARS = {"string", "integer", "number", "boolean"}


@pytest.fixture(scope="module")
def spec(client: Any) -> dict[str, Any]:
    return dict(client.app.openapi())


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def untyped(schema: dict[str, Any], spec: dict[str, Any]) -> str | None:
    """Why a response schema gives a client nothing to type against, or None if it is typed."""
    if "$ref" in schema:
        target = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return None if target.get("properties") or target.get("enum") else f"{schema} is empty"
    if schema.get("type") == "array":
        return untyped(schema.get("items") or {}, spec)
    if "anyOf" in schema:
        reasons = [untyped(option, spec) for option in schema["anyOf"]]
        return next((r for r in reasons if r), None)
    if schema.get("type") == "object":
        return None if schema.get("properties") else f"bare object {schema}"
    return None if schema.get("type") in SCALARS else f"untyped {schema or '{}'}"


def test_the_check_refuses_what_a_client_cannot_type(spec: dict[str, Any]) -> None:
    untyped_schemas = [
        {}, {"type": "object"}, {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {}}, {"anyOf": [{"type": "object"}, {}]},
    ]  # fmt: skip
    for schema in untyped_schemas:
        assert untyped(schema, spec), schema
    assert untyped({"$ref": "#/components/schemas/HealthPublic"}, spec) is None


def test_every_route_has_a_typed_success_response(spec: dict[str, Any]) -> None:
    seen = 0
    problems = []
    for name, operation in operations(spec):
        seen += 1
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        if not successes:
            problems.append(f"{name}: no success response")
        for status, response in successes.items():
            content = response.get("content") or {}
            if status == "204":
                if content:
                    problems.append(f"{name} 204 has a body")
                continue
            if not content:
                problems.append(f"{name} {status}: no body documented")
            for media, body in content.items():
                schema = body.get("schema") or {}
                if media in STREAMED:
                    if schema.get("type") != "string" or not response.get("description"):
                        problems.append(f"{name} {status} {media}: undocumented")
                elif reason := untyped(schema, spec):
                    problems.append(f"{name} {status} {media}: {reason}")
    assert seen == ROUTES, f"{seen} operations; update ROUTES when routes change"
    assert not problems, "\n".join(problems)


def test_errors_are_documented_as_the_body_they_are(spec: dict[str, Any]) -> None:
    # FastAPI's default 422 body (HTTPValidationError) is not what this API answers.
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for name, operation in operations(spec):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorPublic"}, (name, status)
    codes = spec["components"]["schemas"]["ErrorCode"]["enum"]
    assert {"container_not_found", "approval_target_changed", "unauthenticated"} <= set(codes)


# --- a response model filters: each must carry every field its service produces ---------------


def names(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def test_the_tool_layer_records_have_the_fields_of_their_models() -> None:
    now = datetime(2030, 1, 1)
    approval = Approval(
        id="a1", call_id=None, thread_id=None, tool="stop_container", host="local", args={},
        binding="b", preview={"summary": "s", "command": "c", "targets": [], "impact": []},
        risk="change", required_role="operator", requested_by="oscar", requested_role="operator",
        status=ApprovalStatus.PENDING, created_at=now, expires_at=now, decided_by=None,
        decided_at=None, reason=None, result=None,
    )  # fmt: skip
    assert set(approval.public()) == names(ApprovalPublic)
    assert {f.name for f in fields(AuditEntry)} == names(AuditEntryPublic)
    assert set(CallOutcome("t", {}, "executed").public()) == names(OutcomePublic)
    assert set(ChatResult("t", "r").public()) == names(ChatPublic)


def test_the_accounts_and_threads_have_the_fields_of_their_models(services: Services) -> None:
    accounts = services.accounts
    name = f"fields-{uuid.uuid4().hex[:8]}"
    assert set(accounts.add_user(name, "long enough password", "viewer")) == names(
        UserCreatedPublic
    )
    assert set(accounts.update_user(name, "operator", None)) == names(UserUpdatedPublic)
    assert all(set(user) == names(UserPublic) for user in accounts.list_users())
    assert set(accounts.create_token(name, "viewer", "alice")) == names(BotTokenCreatedPublic)
    assert all(set(token) == names(BotTokenPublic) for token in accounts.list_tokens())
    services.assistant.chat(Actor(name, Role.OPERATOR), "hello")
    [thread] = services.assistant.threads(Actor(name, Role.OPERATOR))
    assert set(thread) == names(ThreadSummaryPublic)


# --- a generated client against the running API -------------------------------------------------


@pytest.fixture(scope="module")
def models(spec: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return generate_models(spec, tmp_path_factory.mktemp("generated"))


def generate_models(spec: dict[str, Any], where: Path) -> ModuleType:
    """Pydantic models for every schema in the spec, by datamodel-code-generator (offline)."""
    source, output = where / "openapi.json", where / "generated_api.py"
    source.write_text(json.dumps(spec))
    subprocess.run(
        [sys.executable, "-m", "datamodel_code_generator", "--input", str(source),
         "--input-file-type", "openapi", "--output", str(output), "--output-model-type",
         "pydantic_v2.BaseModel", "--target-python-version", "3.11", "--disable-timestamp",
         "--formatters", "builtin"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    name = f"generated_api_{uuid.uuid4().hex}"
    module_spec = importlib.util.spec_from_file_location(name, output)
    assert module_spec and module_spec.loader
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # the models' forward references resolve through it
    module_spec.loader.exec_module(module)
    return module


class GeneratedClient:
    """Calls operations by the schema's own paths; parses every answer into the generated model
    the schema names for its status, and checks that the model kept every field it was sent."""

    def __init__(self, http: httpx.Client, spec: dict[str, Any], models: ModuleType) -> None:
        self.http = http
        self.spec = spec
        self.models = models
        self.token: str | None = None

    def _type(self, schema: dict[str, Any]) -> Any:
        if "$ref" in schema:
            return getattr(self.models, schema["$ref"].rsplit("/", 1)[1])
        assert schema.get("type") == "array", schema
        return list[self._type(schema["items"])]  # type: ignore[misc]

    def call(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        operation = self.spec["paths"][path][method]
        params = {k: kwargs.pop(k) for k in list(kwargs) if "{" + k + "}" in path}
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.request(
            method, path.format(**params), headers=headers, params=kwargs.pop("query", None),
            json=kwargs.pop("json", None),
        )  # fmt: skip
        assert response.status_code == expect, (method, path, response.text[:500])
        declared = operation["responses"].get(str(response.status_code))
        assert declared, f"{method} {path} answered {response.status_code}, not in the schema"
        media = response.headers.get("content-type", "").split(";")[0]
        if not declared.get("content"):
            assert not response.content
            return None
        adapter = TypeAdapter(self._type(declared["content"][media]["schema"]))
        data = response.json()
        parsed = adapter.validate_python(data)
        kept = adapter.dump_python(parsed, mode="json", by_alias=True, exclude_unset=True)
        assert kept == data, f"{method} {path}: the generated model dropped or changed fields"
        return parsed


def test_the_generated_client_notices_what_the_schema_does_not_say(
    spec: dict[str, Any], models: ModuleType
) -> None:
    health = {"status": "ok", "model": "offline", "engine": {
        "reachable": True, "host": "h", "version": "1", "api_version": "1", "platform": "p",
        "problem": None, "fix": None}}  # fmt: skip
    answers = [health, {**health, "uid": 0}, {**health, "status": "fine"}]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0))

    with httpx.Client(transport=httpx.MockTransport(answer), base_url="http://api") as http:
        api = GeneratedClient(http, spec, models)
        assert api.call("get", "/api/health").engine.host == "h"
        with pytest.raises(AssertionError, match="dropped or changed"):
            api.call("get", "/api/health")  # a field the schema does not document
        with pytest.raises(ValueError, match="status"):
            api.call("get", "/api/health")  # a value outside the documented enum


def test_a_client_generated_from_the_schema_works_against_the_running_api(
    spec: dict[str, Any], models: ModuleType, module_container: Any, tmp_path: Path
) -> None:
    container = module_container("generated-client")
    with run_api(tmp_path / "home") as live, httpx.Client(base_url=live.url, timeout=60) as http:
        assert http.get("/openapi.json").json() == spec  # what a bot fetches is what we generated
        m = models
        api = GeneratedClient(http, spec, m)

        login = {"username": USERS["operator"], "password": PASSWORD}
        token = api.call("post", "/api/auth/login", json=login)
        assert isinstance(token, m.TokenPublic) and token.access_token
        api.token = token.access_token
        me = api.call("get", "/api/auth/me")
        assert (me.name, me.role, me.kind) == (USERS["operator"], m.Role.operator, m.ActorKind.user)

        health = api.call("get", "/api/health")
        assert isinstance(health.engine, m.EngineHealthPublic) and health.engine.reachable

        listed = api.call("get", "/api/containers", query={"all": "true"})
        assert all(isinstance(c, m.ContainerSummary) for c in listed)
        assert container.name in {c.name for c in listed}
        detail = api.call("get", "/api/containers/{ref}", ref=container.name)
        assert isinstance(detail, m.ContainerDetail) and detail.full_id == container.id
        logs = api.call("get", "/api/containers/{ref}/logs", ref=container.name, query={"tail": 5})
        assert isinstance(logs, m.LogsResult)
        missing = api.call("get", "/api/containers/{ref}", ref="no-such-container", expect=404)
        assert isinstance(missing, m.ErrorPublic)
        assert missing.code == m.ErrorCode.container_not_found

        path = "/api/containers/{ref}/{action}"
        pending = api.call("post", path, ref=container.name, action="restart", expect=202)
        assert isinstance(pending.approval, m.ApprovalPublic)
        assert pending.approval.targets[0].id == container.id
        waiting = api.call("get", "/api/approvals", query={"status": "pending"})
        assert pending.approval.id in {a.id for a in waiting}

        api.token = live.token("admin")
        decided = api.call(
            "post", "/api/approvals/{approval_id}", approval_id=pending.approval.id,
            json={"decision": "reject", "reason": "generated client test"},
        )  # fmt: skip
        assert isinstance(decided, m.DecisionPublic)
        assert decided.approval.status == m.ApprovalStatus.rejected
        trail = api.call("get", "/api/audit", query={"approval_id": pending.approval.id})
        assert {e.event for e in trail} == {"proposed", "rejected"}
        assert all(isinstance(e, m.AuditEntryPublic) for e in trail)
        assert api.call("get", "/api/threads") == []
        assert {u.name for u in api.call("get", "/api/users")} >= set(USERS.values())
        assert isinstance(api.call("get", "/api/tokens"), list)
