"""The audit trail: every proposed, approved, rejected, denied, executed and failed call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from tools.guard.policy import Actor
from tools.manager import redact_args
from tools.store import AuditRow

EVENTS = ("proposed", "approved", "rejected", "denied", "invalid", "executed", "failed", "expired")


@dataclass
class AuditEntry:
    id: int
    ts: datetime
    event: str
    actor: str
    role: str
    tool: str
    host: str
    args: dict[str, Any]
    thread_id: str | None
    call_id: str | None
    approval_id: str | None
    approver: str | None
    request: str | None
    message: str | None
    targets: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditEntry:
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})

    def public(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["ts"] = self.ts.isoformat(timespec="milliseconds") + "Z"
        return data


class AuditLog:
    def __init__(self, sessions: sessionmaker[Any]) -> None:
        self.sessions = sessions

    def record(
        self,
        event: str,
        actor: Actor,
        tool: str,
        args: dict[str, Any],
        *,
        host: str = "local",
        thread_id: str | None = None,
        call_id: str | None = None,
        approval_id: str | None = None,
        approver: str | None = None,
        request: str | None = None,
        message: str | None = None,
        targets: list[str] | None = None,
    ) -> None:
        assert event in EVENTS, event
        with self.sessions.begin() as session:
            session.add(
                AuditRow(
                    event=event,
                    actor=actor.name,
                    role=actor.role.value,
                    tool=tool,
                    host=host,
                    args=redact_args(args),
                    thread_id=thread_id,
                    call_id=call_id,
                    approval_id=approval_id,
                    approver=approver,
                    request=(request or "")[:4000] or None,
                    message=(message or "")[:4000] or None,
                    targets={"ids": targets} if targets else None,
                )
            )

    def query(
        self,
        *,
        actor: str | None = None,
        tool: str | None = None,
        event: str | None = None,
        approval_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if actor:
            stmt = stmt.where(AuditRow.actor == actor)
        if tool:
            stmt = stmt.where(AuditRow.tool == tool)
        if event:
            stmt = stmt.where(AuditRow.event == event)
        if approval_id:
            stmt = stmt.where(AuditRow.approval_id == approval_id)
        if since:
            stmt = stmt.where(AuditRow.ts >= since)
        if until:
            stmt = stmt.where(AuditRow.ts <= until)
        with self.sessions() as session:
            return [AuditEntry.from_row(row) for row in session.scalars(stmt)]
