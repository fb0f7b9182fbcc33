"""What an MCP call returns: the agent's fenced text for the model, and one structured envelope
for code, the same for every tool:

    {status, message, result?, approval?, error_code?}

`status` is the gateway's (`executed`, `pending_approval`, `rejected`, `denied`, `failed`);
`result` is the tool's result model; `approval` the approval card with its links.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mcp.types import CallToolResult, TextContent

from agent.lc_tools import fence
from tools.approvals import redact_env_values, redact_public
from tools.gateway import CallOutcome
from tools.guard.policy import Actor, Role

if TYPE_CHECKING:
    from api.mcp.approvals import Links

FAILED = frozenset({"denied", "failed"})
NOBODY = Actor("", Role.VIEWER)


@dataclass(frozen=True)
class Caller:
    actor: Actor
    request: str  # the audit's `request` field: which MCP client, over which transport


def for_viewer(outcome: CallOutcome, viewer: Actor | None) -> CallOutcome:
    """An outcome carrying an approval, as `viewer` may see it: what the API shows them
    (`redact_public`: secret-like env values and output lines hidden from all but admins)."""
    if not outcome.approval:
        return outcome
    shown = {**outcome.approval, "result": outcome.result}
    card = redact_public(shown, viewer or NOBODY)  # nobody named: redacted (fail closed)
    if card is shown:
        return outcome
    return replace(
        outcome, args=redact_env_values(outcome.args), result=card.pop("result"), approval=card
    )


def envelope(outcome: CallOutcome, links: Links) -> dict[str, Any]:
    data: dict[str, Any] = {"status": outcome.status, "message": outcome.message}
    if outcome.result is not None:
        data["result"] = outcome.result
    if outcome.approval:
        data["approval"] = links.card(outcome.approval)
    if outcome.error_code is not None:
        data["error_code"] = outcome.error_code.value
    return data


def render(
    outcome: CallOutcome, links: Links, viewer: Actor | None, note: str = ""
) -> CallToolResult:
    """The model reads exactly what the agent's model reads (`fence`): the status, then the
    result as escaped JSON inside <tool_output trust="untrusted">. `note` is the server's own
    text (never engine output), so it goes after the fence. `viewer`: who is shown it (an
    approval's card and result are redacted for them as the API would)."""
    outcome = for_viewer(outcome, viewer)
    text = fence(outcome) + (f"\n{note}" if note else "")
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=envelope(outcome, links),
        is_error=outcome.status in FAILED,
    )


def result_shape(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> dict[str, Any]:
    """A result model's JSON schema reduced to its shape: objects with their fields as
    `required` names, arrays with their items, unions as `anyOf`. Every `tools/list` carries
    every output schema, so the fields' types and descriptions stay in the API's OpenAPI
    document (`/docs`), and the listing stays under the token budget."""
    defs = schema.get("$defs", defs) or {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        schema = defs[ref.rsplit("/", 1)[-1]]
    options = [o for o in schema.get("anyOf", []) if o != {"type": "null"}]
    if options:
        shapes = [result_shape(option, defs) for option in options]
        return shapes[0] if len(shapes) == 1 else {"anyOf": shapes}
    kind = schema.get("type")
    if kind == "object" and schema.get("properties"):
        return {"type": "object", "required": list(schema["properties"])}
    if kind == "array":
        return {"type": "array", "items": result_shape(schema.get("items") or {}, defs)}
    return {"type": kind} if isinstance(kind, str) else {}


def output_schema(result: dict[str, Any] | None, approvals: bool = True) -> dict[str, Any]:
    """The envelope's JSON schema around the shape of one tool's result model; `approval` only
    for tools that can wait for one."""
    properties: dict[str, Any] = {"status": {"type": "string"}, "message": {"type": "string"}}
    if result is not None:
        properties["result"] = result_shape(result)
    if approvals:
        properties["approval"] = {"type": "object"}
    return {"type": "object", "properties": properties, "required": ["status", "message"]}
