"""Request and response bodies (`XCreate` in, `XPublic` out)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.guard.policy import ActorKind, Role

ThreadId = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,64}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenPublic(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class MePublic(BaseModel):
    name: str
    role: Role
    kind: ActorKind


class ChatCreate(Strict):
    message: str = Field(min_length=1, max_length=8000)
    thread_id: str | None = ThreadId
    dry_run: bool = False


class ToolCallPublic(BaseModel):
    tool: str
    args: dict[str, Any]
    status: str
    result: Any = None
    message: str | None = None


class ChatPublic(BaseModel):
    thread_id: str
    reply: str
    tool_calls: list[ToolCallPublic]
    approvals: list[dict[str, Any]]


class ApprovalDecision(Strict):
    decision: Literal["approve", "reject"]
    reason: str | None = Field(default=None, max_length=500)


class ContainerActionCreate(Strict):
    force: bool = False
    timeout: int | None = Field(default=None, ge=0, le=600)


class UserCreate(Strict):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    role: Literal["viewer", "operator", "admin"]


class UserUpdate(Strict):
    role: Literal["viewer", "operator", "admin"] | None = None
    disabled: bool | None = None


class BotTokenCreate(Strict):
    name: str = Field(min_length=1, max_length=64)
    role: Literal["viewer", "operator", "admin"]
