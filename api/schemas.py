"""Request and response bodies (`XCreate` in, `XPublic` out).

Every route declares its response model, so the OpenAPI schema that bots generate clients from
is typed; tool results reuse tools/schemas.py. A response model also filters: a field a service
returns and the model lacks is dropped, so tests/api/test_openapi.py checks each model against
what its service produces.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.approvals import ApprovalStatus
from tools.errors import ErrorCode
from tools.gateway import Status
from tools.guard.policy import ActorKind, Risk, Role
from tools.schemas import ActionResult

ThreadId = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")
AnyResult = Field(description="The tool's result; its shape is the tool's (see its output).")


class Strict(BaseModel):
    """A request body: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Public(BaseModel):
    """A response body: every field is always sent, so the schema marks each one required
    (a generated client then gets `str`, not `str | None`, for a field with a default)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class ErrorPublic(Public):
    """Every error: a sentence for a person and a stable code for a program."""

    detail: str
    code: ErrorCode


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting the error body for these statuses."""
    return {status: {"model": ErrorPublic} for status in statuses}


# --- auth and health ----------------------------------------------------------------------------


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(Strict):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)


class TokenPublic(Public):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class MePublic(Public):
    name: str
    role: Role
    kind: ActorKind


class EngineHealthPublic(Public):
    reachable: bool
    host: str
    version: str | None
    api_version: str | None
    platform: str | None
    problem: str | None = Field(description="Why the engine is not reachable.")
    fix: str | None = Field(description="What to do about it.")


class HealthPublic(Public):
    status: Literal["ok", "degraded"]
    engine: EngineHealthPublic
    model: str = Field(description="The chat model in use.")


# --- approvals and actions ----------------------------------------------------------------------


class ApprovalTargetPublic(Public):
    """A resolved target, by immutable ID, with what the preview shows of it (state, image...)."""

    model_config = ConfigDict(extra="allow")

    kind: str = Field(description="container | image | network | volume | service | project")
    id: str
    name: str


class ApprovalPublic(Public):
    id: str
    tool: str
    host: str
    args: dict[str, Any] = Field(description="The normalised arguments, secrets redacted.")
    status: ApprovalStatus
    risk: Risk
    summary: str | None
    command: str | None = Field(description="The equivalent docker command.")
    targets: list[ApprovalTargetPublic]
    impact: list[str]
    requested_by: str
    required_role: Role
    thread_id: str | None
    call_id: str | None
    created_at: str
    expires_at: str
    decided_by: str | None
    decided_at: str | None
    reason: str | None
    result: dict[str, Any] | None = Field(description="status, message, result once it ran.")


class ApprovalDecision(Strict):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=500)


class OutcomePublic(Public):
    """What a call through the guard came to."""

    tool: str
    args: dict[str, Any]
    status: Status
    message: str
    result: Any = AnyResult
    approval_id: str | None
    error_code: ErrorCode | None


class ContainerActionCreate(Strict):
    force: bool = False
    timeout: int | None = Field(default=None, ge=0, le=600)


class ActionExecutedPublic(Public):
    status: Literal["executed"]
    result: ActionResult


class ActionPendingPublic(Public):
    status: Literal["pending_approval"]
    approval: ApprovalPublic


# --- chat ---------------------------------------------------------------------------------------


class ChatCreate(Strict):
    message: str = Field(min_length=1, max_length=8000)
    thread_id: str | None = ThreadId
    dry_run: bool = False


class ToolCallPublic(Public):
    tool: str
    args: dict[str, Any]
    status: Status
    result: Any = AnyResult
    message: str | None = None


class ChatPublic(Public):
    thread_id: str
    reply: str
    tool_calls: list[ToolCallPublic]
    approvals: list[ApprovalPublic] = Field(description="Approvals this turn is waiting for.")


class DecisionPublic(Public):
    approval: ApprovalPublic
    outcome: OutcomePublic
    chat: ChatPublic | None = Field(description="The paused conversation's next turn, if any.")
    chat_error: str | None = Field(description="Why the conversation could not continue.")


class ThreadSummaryPublic(Public):
    id: str
    title: str
    updated_at: str


class MessagePublic(Public):
    role: Literal["user", "assistant", "tool"]
    content: str | dict[str, Any] = Field(description="Text; for `tool`, the call and its result.")


class ThreadPublic(Public):
    thread_id: str
    messages: list[MessagePublic]
    approvals: list[ApprovalPublic]


# --- audit --------------------------------------------------------------------------------------


class AuditEntryPublic(Public):
    id: int
    ts: str
    event: str = Field(description="proposed | approved | rejected | denied | invalid | ...")
    actor: str
    role: Role
    tool: str
    host: str
    args: dict[str, Any]
    thread_id: str | None
    call_id: str | None
    approval_id: str | None
    approver: str | None
    request: str | None
    message: str | None
    targets: dict[str, list[str]] | None


# --- users and bot tokens -----------------------------------------------------------------------


class ReadCountPublic(Public):
    bucket: str = Field(description="The hour the reads fell in (UTC).")
    actor: str
    role: Role
    tool: str
    host: str
    executed: int
    failed: int
    first_ts: str
    last_ts: str


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    role: Role


class UserUpdate(Strict):
    role: Role | None = None
    disabled: bool | None = None


class UserPublic(Public):
    name: str
    role: Role
    disabled: bool
    created_at: str


class UserCreatedPublic(Public):
    name: str
    role: Role


class UserUpdatedPublic(Public):
    name: str
    role: Role
    disabled: bool


class BotTokenCreate(Strict):
    name: str = Field(min_length=1, max_length=64)
    role: Role


class BotTokenPublic(Public):
    id: str
    name: str
    role: Role
    created_by: str
    created_at: str | None
    last_used_at: str | None
    revoked: bool


class BotTokenCreatedPublic(Public):
    id: str
    name: str
    role: Role
    token: str = Field(description="The bot token itself: shown once, stored only hashed.")
