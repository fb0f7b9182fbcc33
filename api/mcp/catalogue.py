"""The catalogue as MCP tools, generated from `tools.catalogue` (never a copy of it).

Each tool keeps the catalogue's name, description (the tool function's docstring) and input
model, shown in the same compact form the agent's model sees; the full input model validates
every call in the gateway, which also audits an invalid one. Annotations follow the tool's
risk; the output schema is the result envelope around the tool's own result model. Which tools
exist depends on the deployment (compose directories, swarm managers, several hosts), which
of them a caller sees on their role (`visible`).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.lc_tools import compact_schema
from api.mcp.approvals import ApprovalFlow, outcome_of
from api.mcp.identity import Identify, NoCaller, client_label
from api.mcp.results import Caller, output_schema, render
from tools.catalogue import ToolSpec, all_tools
from tools.errors import ApprovalNotFound, ErrorCode
from tools.gateway import CallOutcome, Status, ToolGateway
from tools.guard.policy import REQUIRED_ROLE, Actor, Risk, Role

GET_APPROVAL = "get_approval"
APPROVAL_WAIT_MAX = 300


class PassThrough(ArgModelBase):
    """The client's arguments as sent: the gateway validates them with the tool's input model,
    as it does for every caller, so an invalid call is refused and audited in one place."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


class GetApprovalInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approval_id: str = Field(pattern=r"^[0-9a-f]{1,64}$", description="From a pending call.")
    wait: int = Field(
        default=0, ge=0, le=APPROVAL_WAIT_MAX, description="Seconds to wait for a decision."
    )


def hints(spec: ToolSpec) -> ToolAnnotations:
    """From the risk; a tool whose arguments can raise its risk is marked by its worst case.
    Only what differs from the spec's defaults is sent (read-only false, destructive true,
    idempotent false, open world true; the last three mean nothing for a read-only tool):
    every `tools/list` pays for each word."""
    if spec.risk is Risk.READ and spec.risk_of is None:
        return ToolAnnotations(read_only_hint=True, open_world_hint=False)
    destructive = spec.risk is Risk.DESTRUCTIVE or spec.risk_of is not None
    return ToolAnnotations(destructive_hint=None if destructive else False, open_world_hint=False)


def input_schema(spec: ToolSpec, multi_host: bool) -> dict[str, Any]:
    """What the agent's model is shown (agent.lc_tools), so both read the same catalogue."""
    schema = compact_schema(spec.input_model.model_json_schema())
    schema.pop("description", None)  # the tool's description says it
    if not multi_host:
        schema.get("properties", {}).pop("host", None)
    return dict(schema)


def result_schema(spec: ToolSpec) -> dict[str, Any] | None:
    returns = typing.get_type_hints(spec.run).get("return")
    if returns is None or returns is type(None):
        return None
    return dict(TypeAdapter(returns).json_schema())


def accepts_text(annotation: Any) -> bool:
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    options = typing.get_args(annotation) if union else (annotation,)
    return any(
        option is str or (typing.get_origin(option) is typing.Annotated
                          and typing.get_args(option)[0] is str)
        for option in options
    )  # fmt: skip


def unquote_json(model: type[BaseModel], arguments: dict[str, Any]) -> dict[str, Any]:
    """Some clients send an object or list argument as a JSON string; decode those for fields
    that take no text (the input model then validates the decoded value)."""
    decoded = dict(arguments)
    for key, value in arguments.items():
        field = model.model_fields.get(key)
        if field is None or not isinstance(value, str) or value[:1] not in ("{", "["):
            continue
        if not accepts_text(field.annotation):
            try:
                decoded[key] = json.loads(value)
            except ValueError:
                pass  # left for the input model to refuse with its own message
    return decoded


class CatalogueTools:
    """Builds the MCP tools over one gateway; each call runs as the caller it identifies."""

    def __init__(
        self,
        gateway: ToolGateway,
        identify: Identify,
        approvals: ApprovalFlow,
        transport: str,
        features: frozenset[str] = frozenset(),
    ) -> None:
        self.gateway = gateway
        self.identify = identify
        self.approvals = approvals
        self.transport = transport
        self.specs = {s.name: s for s in all_tools() if s.needs is None or s.needs in features}

    def tools(self) -> list[Tool]:
        tools = [self._tool(spec) for spec in self.specs.values()]
        return [*tools, self._get_approval_tool()]

    def visible(self, name: str, actor: Actor) -> bool:
        """Listed for this caller: the role a tool's declared risk needs (calling one anyway
        gets the gateway's audited refusal)."""
        spec = self.specs.get(name)
        needed = REQUIRED_ROLE[spec.risk] if spec is not None else Role.VIEWER
        return actor.role.rank >= needed.rank

    def caller(self, ctx: Context[Any, Any]) -> Caller:
        params = ctx.session.client_params
        info = params.client_info if params is not None else None
        return Caller(self.identify(), client_label(info, self.transport))

    # --- the catalogue's tools ---------------------------------------------------------------

    def _tool(self, spec: ToolSpec) -> Tool:
        gateway = self.gateway
        approvals = self.approvals

        async def call(
            arguments: dict[str, Any], ctx: Context[Any, Any]
        ) -> CallToolResult | InputRequiredResult:
            try:
                caller = self.caller(ctx)
            except NoCaller as exc:
                return render(_refusal(spec.name, str(exc)), approvals.links, None)
            resumed = await approvals.resume(ctx, caller, spec.name)
            if resumed is not None:
                return resumed
            outcome = await anyio.to_thread.run_sync(
                partial(
                    gateway.call, caller.actor, spec.name,
                    unquote_json(spec.input_model, arguments),
                    request=caller.request,
                    # The client is a model that may have read untrusted text (our own tool
                    # output included): no change runs on a role's auto-approval over MCP.
                    tainted=True,
                )
            )  # fmt: skip
            if outcome.status == "pending_approval" and outcome.approval:
                return await approvals.confirm(ctx, caller, outcome)
            return render(outcome, approvals.links, caller.actor)

        return _mcp_tool(
            spec.name, spec.description, input_schema(spec, self.gateway.multi_host),
            output_schema(result_schema(spec), spec.risk is not Risk.READ), hints(spec), call,
        )  # fmt: skip

    # --- get_approval: the poll for a client that cannot ask its person ------------------------

    def _get_approval_tool(self) -> Tool:
        store = self.gateway.approvals
        links = self.approvals.links

        async def get_approval(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
            try:
                actor = self.identify()
                args = GetApprovalInput.model_validate(arguments)
            except NoCaller as exc:
                return render(_refusal(GET_APPROVAL, str(exc)), links, None)
            except ValueError as exc:
                refusal = _refusal(GET_APPROVAL, str(exc), ErrorCode.INVALID_ARGUMENTS)
                return render(refusal, links, None)
            deadline = anyio.current_time() + args.wait
            while True:
                try:
                    approval = await anyio.to_thread.run_sync(store.get, args.approval_id)
                except ApprovalNotFound:
                    approval = None
                # Your own requests, or any as an admin; others' do not exist for you.
                if approval is None or not (
                    approval.requested_by == actor.name or actor.role is Role.ADMIN
                ):
                    message = f"no approval {args.approval_id!r} of yours"
                    refusal = _refusal(GET_APPROVAL, message, ErrorCode.NOT_FOUND)
                    return render(refusal, links, actor)
                outcome = outcome_of(approval)
                if outcome.status != "pending_approval" or anyio.current_time() >= deadline:
                    break
                await anyio.sleep(1)
            note = links.waiting_note(approval.id) if outcome.status == "pending_approval" else ""
            return render(outcome, links, actor, note=note)

        description = (
            "State of an approval a change is waiting for (pending, executed with its result, "
            "rejected, expired). `wait` holds the answer until it is decided."
        )
        schema = compact_schema(GetApprovalInput.model_json_schema())
        return _mcp_tool(
            GET_APPROVAL, description, schema, output_schema(None),
            ToolAnnotations(read_only_hint=True, open_world_hint=False),
            get_approval,
        )  # fmt: skip


def _refusal(tool: str, message: str, code: ErrorCode = ErrorCode.DENIED) -> CallOutcome:
    status: Status = "failed" if code is ErrorCode.INVALID_ARGUMENTS else "denied"
    return CallOutcome(tool, {}, status, message, error_code=code)


def _mcp_tool(
    name: str,
    description: str,
    parameters: dict[str, Any],
    returns: dict[str, Any],
    hints: ToolAnnotations,
    fn: Callable[..., Any],
) -> Tool:
    """An SDK tool from our own schemas: `PassThrough` hands the raw arguments to `fn`, which
    returns the finished `CallToolResult` (or a question, `InputRequiredResult`)."""
    return Tool(
        fn=fn,
        name=name,
        description=description,
        parameters=parameters,
        fn_metadata=FuncMetadata(arg_model=PassThrough, output_schema=returns),
        is_async=True,
        context_kwarg="ctx",
        annotations=hints,
    )
