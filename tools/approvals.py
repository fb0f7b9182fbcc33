"""Approval records: bound to the exact action, expiring, and claimable exactly once.

Single use is a conditional UPDATE (pending -> executing) whose row count says who won, so two
concurrent approvals, or a replay after a crash, can never run the action twice.
"""

from __future__ import annotations

import builtins
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import sessionmaker

from foundation.db import utcnow
from tools.errors import ApprovalNotFound
from tools.guard.policy import Actor, ActorKind, Role
from tools.manager import redact_args
from tools.store import ApprovalRow

# A line of output that looks like it carries a secret: `PASSWORD=...`, `api_key: ...`,
# `Authorization: Bearer ...`, a PEM private key, a URL with a password in it.
SECRET_LINE = re.compile(
    r"(?i)(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential"
    r"|auth)[\w.-]*\s*[:=]|bearer\s+\S|-----BEGIN [A-Z ]*PRIVATE KEY|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"
)
_ENV_FLAG = re.compile(r"(-e\s+[^=\s]+=)\S+")
REDACTED_LINE = "*** (a line that looks like a secret: shown to admins only)"


def redact_text(text: str) -> str:
    """Lines that look like secrets replaced; the rest kept."""
    if not SECRET_LINE.search(text):
        return text
    return "\n".join(
        REDACTED_LINE if SECRET_LINE.search(line) else line for line in text.split("\n")
    )


def redact_value(value: Any) -> Any:
    """Every string inside a result (exec output, messages) through `redact_text`."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    return value


def redact_env_values(args: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments with every env value hidden (names kept): for everyone but admins."""
    env = args.get("env")
    if isinstance(env, dict):
        args = {**args, "env": {k: "***" if v else v for k, v in env.items()}}
    elif isinstance(env, list):
        args = {**args, "env": [str(i).split("=", 1)[0] + "=***" for i in env]}
    return args


def redact_public(data: dict[str, Any], viewer: Actor | None) -> dict[str, Any]:
    """An approval's public form as `viewer` may see it: for anyone but an admin, env values
    (also in the docker command) and output lines that look like secrets are redacted."""
    if viewer is None or (viewer.role is Role.ADMIN and viewer.kind is not ActorKind.BOT):
        return data
    data = dict(data)
    if isinstance(data.get("args"), dict):
        data["args"] = redact_env_values(data["args"])
    if isinstance(data.get("command"), str):
        data["command"] = _ENV_FLAG.sub(r"\1***", data["command"])
    data["result"] = redact_value(data.get("result"))
    data["reason"] = redact_value(data.get("reason"))
    return data


def may_decide(actor: Actor, required_role: str) -> bool:
    return actor.kind is not ActorKind.BOT and actor.role.rank >= Role(required_role).rank


def may_see(actor: Actor, approval: Approval) -> bool:
    """Least visibility: your own requests; also those you may decide (a person with the
    role); every request for an admin."""
    if actor.role is Role.ADMIN and actor.kind is not ActorKind.BOT:
        return True
    return approval.requested_by == actor.name or may_decide(actor, approval.required_role)


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    EXECUTING = "executing"  # claimed by an approver; never claimed again, even after a crash
    EXECUTED = "executed"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    STALE = "stale"  # the targets changed or policy now denies: refused at execution


@dataclass
class Approval:
    id: str
    call_id: str | None
    thread_id: str | None
    tool: str
    host: str
    args: dict[str, Any]
    binding: str
    preview: dict[str, Any]
    risk: str
    required_role: str
    requested_by: str
    requested_role: str
    status: ApprovalStatus
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: ApprovalRow) -> Approval:
        data = {f: getattr(row, f) for f in cls.__dataclass_fields__}
        data["status"] = ApprovalStatus(row.status)
        return cls(**data)

    def public(self, viewer: Actor | None = None) -> dict[str, Any]:
        """The approval as shown to people; with `viewer` other than an admin, secret-like
        values (env values, output lines that look like secrets) are redacted."""
        return redact_public(self._public(), viewer)

    def _public(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds") + "Z" if value else None

        return {
            "id": self.id,
            "tool": self.tool,
            "host": self.host,
            "args": redact_args(self.args),  # the stored args keep the values, to run
            "status": self.status.value,
            "risk": self.risk,
            "summary": self.preview.get("summary"),
            "command": self.preview.get("command"),
            "targets": self.preview.get("targets", []),
            "impact": self.preview.get("impact", []),
            "requested_by": self.requested_by,
            "required_role": self.required_role,
            "thread_id": self.thread_id,
            "call_id": self.call_id,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "decided_by": self.decided_by,
            "decided_at": iso(self.decided_at),
            "reason": self.reason,
            "result": self.result,
        }


class ApprovalStore:
    def __init__(self, sessions: sessionmaker[Any], ttl_seconds: int = 600) -> None:
        self.sessions = sessions
        self.ttl = timedelta(seconds=ttl_seconds)

    def create(self, **fields: Any) -> Approval:
        now = utcnow()
        row = ApprovalRow(
            id=secrets.token_hex(8),
            status=ApprovalStatus.PENDING.value,
            created_at=now,
            expires_at=now + self.ttl,
            **fields,
        )
        with self.sessions.begin() as session:
            session.add(row)
        return Approval.from_row(row)

    def get(self, approval_id: str) -> Approval:
        with self.sessions() as session:
            row = session.get(ApprovalRow, approval_id)
            if row is None:
                raise ApprovalNotFound(f"no approval {approval_id!r}")
            return Approval.from_row(row)

    def by_call(self, call_id: str) -> Approval | None:
        with self.sessions() as session:
            row = session.scalars(select(ApprovalRow).where(ApprovalRow.call_id == call_id)).first()
            return Approval.from_row(row) if row else None

    def list(
        self,
        status: str | None = None,
        limit: int = 200,
        thread_id: str | None = None,
        visible_to: Actor | None = None,
    ) -> list[Approval]:
        """Newest first; with `visible_to`, only what that actor may see (`may_see`)."""
        stmt = select(ApprovalRow).order_by(ApprovalRow.created_at.desc()).limit(limit)
        if visible_to is not None and not (
            visible_to.role is Role.ADMIN and visible_to.kind is not ActorKind.BOT
        ):
            decidable = (
                [r.value for r in Role if r.rank <= visible_to.role.rank]
                if visible_to.kind is not ActorKind.BOT
                else []
            )
            stmt = stmt.where(
                or_(
                    ApprovalRow.requested_by == visible_to.name,
                    ApprovalRow.required_role.in_(decidable),
                )
            )
        if status:
            stmt = stmt.where(ApprovalRow.status == status)
        if thread_id:
            stmt = stmt.where(ApprovalRow.thread_id == thread_id)
        with self.sessions() as session:
            return [Approval.from_row(row) for row in session.scalars(stmt)]

    def transition(
        self,
        approval_id: str,
        expected: ApprovalStatus,
        new: ApprovalStatus,
        *,
        decided_by: str | None = None,
        reason: str | None = None,
        result: dict[str, Any] | None = None,
        unexpired: bool = False,
    ) -> bool:
        """Move expected -> new atomically; False when someone else moved it first."""
        values: dict[str, Any] = {"status": new.value}
        if decided_by is not None:
            values.update(decided_by=decided_by, decided_at=utcnow())
        if reason is not None:
            values["reason"] = reason
        if result is not None:
            values["result"] = result
        stmt = (
            update(ApprovalRow)
            .where(ApprovalRow.id == approval_id, ApprovalRow.status == expected.value)
            .values(**values)
        )
        if unexpired:
            stmt = stmt.where(ApprovalRow.expires_at > utcnow())
        with self.sessions.begin() as session:
            return bool(session.execute(stmt).rowcount)

    def pending_of(self, requested_by: str) -> builtins.list[Approval]:
        stmt = select(ApprovalRow).where(
            ApprovalRow.requested_by == requested_by,
            ApprovalRow.status == ApprovalStatus.PENDING.value,
        )
        with self.sessions() as session:
            return [Approval.from_row(row) for row in session.scalars(stmt)]
