"""What an MCP call returns: the agent's fenced text for the model, and one structured envelope
for code, the same for every tool:

    {status, message, result?, approval?, error_code?}

`status` is the gateway's (`executed`, `pending_approval`, `rejected`, `denied`, `failed`);
`result` is the tool's result model; `approval` the approval card with its links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mcp.types import CallToolResult, TextContent

from agent.lc_tools import fence
from tools.gateway import CallOutcome
from tools.guard.policy import Actor

if TYPE_CHECKING:
    from api.mcp.approvals import Links

FAILED = frozenset({"denied", "failed"})


@dataclass(frozen=True)
class Caller:
    actor: Actor
    request: str  # the audit's `request` field: which MCP client, over which transport


def envelope(outcome: CallOutcome, links: Links) -> dict[str, Any]:
    data: dict[str, Any] = {"status": outcome.status, "message": outcome.message}
    if outcome.result is not None:
        data["result"] = outcome.result
    if outcome.approval:
        data["approval"] = links.card(outcome.approval)
    if outcome.error_code is not None:
        data["error_code"] = outcome.error_code.value
    return data


def render(outcome: CallOutcome, links: Links, note: str = "") -> CallToolResult:
    """The model reads exactly what the agent's model reads (`fence`): the status, then the
    result as escaped JSON inside <tool_output trust="untrusted">. `note` is the server's own
    text (never engine output), so it goes after the fence."""
    text = fence(outcome) + (f"\n{note}" if note else "")
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=envelope(outcome, links),
        is_error=outcome.status in FAILED,
    )


def compact_result(schema: Any) -> Any:
    """A result model's JSON schema without what code does not need (titles, `null` defaults),
    `X or null` written as one type list. Unlike the input schemas nothing is loosened: clients
    validate results against it, and optional fields do come back as null."""
    if isinstance(schema, list):
        return [compact_result(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "anyOf" and isinstance(value, list) and {"type": "null"} in value:
            others = [v for v in value if v != {"type": "null"}]
            if (
                len(others) == 1
                and set(others[0]) == {"type"}
                and isinstance(others[0]["type"], str)
            ):
                out["type"] = [others[0]["type"], "null"]
                continue
        out[key] = compact_result(value)
    return out


def output_schema(result: dict[str, Any] | None) -> dict[str, Any]:
    """The envelope's JSON schema around one tool's result schema (its `$defs` lifted to the
    root, where `$ref`s resolve)."""
    properties: dict[str, Any] = {"status": {"type": "string"}, "message": {"type": "string"}}
    defs: dict[str, Any] = {}
    if result is not None:
        result = compact_result(result)
        defs = result.pop("$defs", {})
        properties["result"] = result
    properties["approval"] = {"type": "object"}
    schema: dict[str, Any] = {
        "type": "object", "properties": properties, "required": ["status", "message"],
    }  # fmt: skip
    if defs:
        schema["$defs"] = defs
    return schema
