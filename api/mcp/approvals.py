"""A change called over MCP waits for a person, and the decision stays on the server.

The gateway has already recorded the approval (bound to IDs, expiring, single use) and audited
the proposal. Then:

- the caller may decide it (a person, not a bot token, with the role the action needs) and the
  client can ask them (form elicitation): the client shows the approval card and a required
  approve/reject choice. Only an explicit "approve" runs the call, through `gateway.decide` with
  that person as approver; "reject" or "decline" rejects it; "cancel" leaves it pending.
  Handshake-era clients are asked in the middle of the call; 2026-era clients get the question
  back as an `InputRequiredResult` and answer on the retry (the SDK seals the approval id in
  `request_state`, bound to this call's arguments and caller).
- otherwise the call returns at once, `pending_approval`, with the approval id, the console
  link and the resource to watch; the client polls `get_approval` or subscribes.

Nothing a client decides on its own (an auto-approve setting, a default answer) can run a
change: the form has no default, and the answer is checked here, not by the client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import anyio
import anyio.to_thread
from mcp.server.elicitation import (
    AcceptedElicitation,
    DeclinedElicitation,
    render_elicitation_schema,
)
from mcp.server.mcpserver import Context
from mcp.shared.exceptions import MCPError
from mcp.types import (
    CallToolResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, Field, ValidationError

from api.mcp.identity import NoCaller
from api.mcp.results import Caller, render
from tools.approvals import Approval, ApprovalStatus
from tools.errors import (
    ApprovalAlreadyDecided,
    ApprovalNotFound,
    DockerDeployerError,
    ErrorCode,
)
from tools.gateway import CallOutcome, Status, ToolGateway
from tools.guard.policy import Actor, ActorKind, Role

log = logging.getLogger("dockerdeployer.mcp")

QUESTION_KEY = "approval"
APPROVAL_URI = "dockerdeployer://approvals/{approval_id}"
# Refusals that mean "not allowed"; anything else (expired, failed) is a failure.
_DENIALS = frozenset({ErrorCode.DENIED, ErrorCode.APPROVAL_FORBIDDEN,
                      ErrorCode.APPROVAL_TARGET_CHANGED})  # fmt: skip
# An approval's state as a call status (what `get_approval` and a late answer report).
APPROVAL_STATUS: dict[ApprovalStatus, Status] = {
    ApprovalStatus.PENDING: "pending_approval", ApprovalStatus.EXECUTING: "pending_approval",
    ApprovalStatus.EXECUTED: "executed", ApprovalStatus.REJECTED: "rejected",
    ApprovalStatus.EXPIRED: "failed", ApprovalStatus.FAILED: "failed",
    ApprovalStatus.STALE: "denied",
}  # fmt: skip


class ApprovalForm(BaseModel):
    """The question a person answers in their MCP client."""

    decision: Literal["approve", "reject"] = Field(
        description="approve: run it once, exactly as shown. reject: do not run it."
    )
    reason: str = Field(default="", max_length=500, description="A note for the audit trail.")


FORM_SCHEMA = render_elicitation_schema(ApprovalForm)


@dataclass(frozen=True)
class Links:
    """Where a person decides: the console's approvals page, the API, the MCP resource."""

    console: str

    def console_url(self, approval_id: str) -> str:
        return f"{self.console}/?page=approvals&approval={approval_id}"

    @staticmethod
    def resource(approval_id: str) -> str:
        return APPROVAL_URI.format(approval_id=approval_id)

    def card(self, approval: dict[str, Any]) -> dict[str, Any]:
        card = {k: v for k, v in approval.items() if k != "result"}  # the envelope has it
        return {**card, "console_url": self.console_url(approval["id"]),
                "resource": self.resource(approval["id"])}  # fmt: skip

    def waiting_note(self, approval_id: str) -> str:
        return (
            f"Nothing has run. A person with the needed role must approve approval "
            f"{approval_id}: in the console ({self.console_url(approval_id)}) or with "
            f"POST /api/approvals/{approval_id}. Then call get_approval with "
            f'approval_id "{approval_id}" (wait up to 300 s), or read/subscribe to '
            f"{self.resource(approval_id)}."
        )


def card_text(approval: dict[str, Any]) -> str:
    """The approval card as the person sees it in their client (names are container names:
    letters, digits and `_.-` only, so nothing here can pose as instructions)."""
    lines = [f"Approve {approval['tool']} on host {approval['host']}?", str(approval["summary"])]
    if approval.get("command"):
        lines.append(f"Equivalent command: {approval['command']}")
    for target in approval.get("targets") or []:
        lines.append(f"Target: {target.get('kind')} {target.get('name')} ({target.get('id')})")
    lines += [f"Impact: {item}" for item in approval.get("impact") or []]
    lines.append(
        f"Requested by {approval['requested_by']}; needs role {approval['required_role']}; "
        f"expires {approval['expires_at']}; approval {approval['id']}."
    )
    return "\n".join(lines)


def outcome_of(approval: Approval) -> CallOutcome:
    """An approval's current state as a call outcome."""
    result = approval.result or {}
    status = APPROVAL_STATUS[approval.status]
    if approval.status is ApprovalStatus.PENDING:
        message = f"needs approval: {approval.preview.get('summary')}"
    elif approval.status is ApprovalStatus.REJECTED:
        message = f"rejected by {approval.decided_by}: {approval.reason or 'no reason given'}"
    elif approval.status is ApprovalStatus.EXPIRED:
        message = "the approval expired; nothing was run"
    else:
        message = str(result.get("message") or approval.reason or approval.status.value)
    return CallOutcome(
        approval.tool, approval.args, status, message, result=result.get("result"),
        approval=approval.public(), call_id=approval.call_id,
    )  # fmt: skip


def asks_forms(ctx: Context[Any, Any]) -> bool:
    """Did the client declare form elicitation (an empty `elicitation: {}` means form)?"""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


class ApprovalFlow:
    def __init__(self, gateway: ToolGateway, links: Links) -> None:
        self.gateway = gateway
        self.links = links

    def can_decide(self, actor: Actor, approval: dict[str, Any]) -> bool:
        """The gateway decides for real; this only chooses between asking and a link."""
        needed = Role(approval["required_role"])
        return actor.kind is ActorKind.USER and actor.role.rank >= needed.rank

    def pending(self, outcome: CallOutcome, viewer: Actor, note: str = "") -> CallToolResult:
        approval_id = (outcome.approval or {}).get("id", "")
        waiting = self.links.waiting_note(approval_id)
        return render(outcome, self.links, viewer, note=f"{note} {waiting}".strip())

    async def confirm(
        self, ctx: Context[Any, Any], caller: Caller, outcome: CallOutcome
    ) -> CallToolResult | InputRequiredResult:
        """A call came back pending: ask the caller if they may decide and the client can ask."""
        approval = outcome.approval or {}
        if not self.can_decide(caller.actor, approval):
            return self.pending(outcome, caller.actor, "You may not approve this yourself.")
        if not asks_forms(ctx):
            note = "This client cannot ask you (no form elicitation)."
            return self.pending(outcome, caller.actor, note)
        question = card_text(approval)
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            ask = ElicitRequest(
                params=ElicitRequestFormParams(message=question, requested_schema=FORM_SCHEMA)
            )
            state = json.dumps({"approval_id": approval["id"]})
            return InputRequiredResult(input_requests={QUESTION_KEY: ask}, request_state=state)
        try:
            answer = await ctx.elicit(question, ApprovalForm)
        except (MCPError, ValueError) as exc:  # the client failed or sent a malformed answer
            log.info("elicitation for approval %s failed: %s", approval["id"], exc)
            return self.pending(outcome, caller.actor, "The client could not ask you.")
        if isinstance(answer, AcceptedElicitation):
            return await self.settle(caller, approval["id"], "accept", answer.data)
        action = "decline" if isinstance(answer, DeclinedElicitation) else "cancel"
        return await self.settle(caller, approval["id"], action, None)

    async def resume(
        self, ctx: Context[Any, Any], caller: Caller, tool: str
    ) -> CallToolResult | None:
        """The retry of a 2026-era call that was asked a question: its answer, or None when
        this is a first call."""
        if ctx.request_state is None:
            return None
        try:
            approval_id = str(json.loads(ctx.request_state)["approval_id"])
            approval = await anyio.to_thread.run_sync(self.gateway.approvals.get, approval_id)
        except (ValueError, KeyError, TypeError, ApprovalNotFound):
            return render(_refused(tool, "this answer belongs to no approval"), self.links, None)
        if approval.requested_by != caller.actor.name or approval.tool != tool:
            refused = _refused(tool, "this answer belongs to another call")
            return render(refused, self.links, None)
        response = (ctx.input_responses or {}).get(QUESTION_KEY)
        if not isinstance(response, ElicitResult):
            return self.pending(outcome_of(approval), caller.actor)
        form: ApprovalForm | None = None
        if response.action == "accept":
            try:
                form = ApprovalForm.model_validate(response.content or {})
            except ValidationError:
                note = "The answer was not approve/reject."
                return self.pending(outcome_of(approval), caller.actor, note)
        return await self.settle(caller, approval_id, response.action, form)

    async def settle(
        self,
        caller: Caller,
        approval_id: str,
        action: str,
        form: ApprovalForm | None,
    ) -> CallToolResult:
        """Act on the person's answer: only an explicit approve runs the call."""
        if action == "cancel" or (action == "accept" and form is None):
            approval = await anyio.to_thread.run_sync(self.gateway.approvals.get, approval_id)
            note = "You dismissed the question; it is open."
            return self.pending(outcome_of(approval), caller.actor, note)
        approve = action == "accept" and form is not None and form.decision == "approve"
        reason = (form.reason if form else "") or (
            None if approve else f"declined in the {caller.request}"
        )
        try:
            approver = self._current(caller.actor)
            outcome = await anyio.to_thread.run_sync(
                partial(self.gateway.decide, approval_id, approver, approve, reason)
            )
        except ApprovalAlreadyDecided:  # decided meanwhile (the console, another client)
            approval = await anyio.to_thread.run_sync(self.gateway.approvals.get, approval_id)
            outcome = outcome_of(approval)
            outcome.message = f"already decided by {approval.decided_by}: {outcome.message}"
        except NoCaller as exc:
            return render(_refused("decide", str(exc)), self.links, None)
        except DockerDeployerError as exc:  # expired, forbidden, target changed, now denied
            approval = await anyio.to_thread.run_sync(self.gateway.approvals.get, approval_id)
            status: Status = "denied" if exc.code in _DENIALS else "failed"
            outcome = CallOutcome(
                approval.tool, approval.args, status, exc.message,
                approval=approval.public(), error_code=exc.code,
            )  # fmt: skip
        return render(outcome, self.links, caller.actor)

    def _current(self, actor: Actor) -> Actor:
        """The approver as they are now (the answer may come minutes after the call)."""
        current_role: Callable[[str], Role | None] | None = self.gateway.current_role
        if current_role is None:
            return actor
        role = current_role(actor.name)
        if role is None:
            raise NoCaller(f"{actor.name} is no longer an active user")
        return Actor(actor.name, role, actor.kind)


def _refused(tool: str, message: str) -> CallOutcome:
    return CallOutcome(tool, {}, "denied", message, error_code=ErrorCode.DENIED)
