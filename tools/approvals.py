"""Approval records: bound to the exact action, expiring, and claimable exactly once.

Single use is a conditional UPDATE (pending -> executing) whose row count says who won, so two
concurrent approvals, or a replay after a crash, can never run the action twice.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from foundation.db import utcnow
from tools.errors import ApprovalNotFound
from tools.manager import redact_args
from tools.store import ApprovalRow


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

    def public(self) -> dict[str, Any]:
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
        self, status: str | None = None, limit: int = 200, thread_id: str | None = None
    ) -> list[Approval]:
        stmt = select(ApprovalRow).order_by(ApprovalRow.created_at.desc()).limit(limit)
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
