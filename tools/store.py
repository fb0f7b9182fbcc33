"""The core's tables: approvals and the audit trail (migrations: foundation/migrations)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from foundation.db import Base, utcnow


class ApprovalRow(Base):
    __tablename__ = "approvals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    call_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    thread_id: Mapped[str | None] = mapped_column(String(128), index=True)
    tool: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(128), default="local")
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    binding: Mapped[str] = mapped_column(String(64))
    preview: Mapped[dict[str, Any]] = mapped_column(JSON)
    risk: Mapped[str] = mapped_column(String(16))
    required_role: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)  # see ApprovalStatus
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditRow(Base):
    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_ts", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(default=utcnow)
    event: Mapped[str] = mapped_column(String(24), index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(16))
    tool: Mapped[str] = mapped_column(String(64), index=True)
    host: Mapped[str] = mapped_column(String(128), default="local")
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    thread_id: Mapped[str | None] = mapped_column(String(128))
    call_id: Mapped[str | None] = mapped_column(String(128))
    approval_id: Mapped[str | None] = mapped_column(String(32), index=True)
    approver: Mapped[str | None] = mapped_column(String(128))
    request: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    targets: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditReadRow(Base):
    """Reads, counted per hour, actor, tool and host: a page refreshing every 5 s must not
    drown the changes, decisions and denials that `audit` keeps one row each."""

    __tablename__ = "audit_reads"
    __table_args__ = (UniqueConstraint("bucket", "actor", "tool", "host", name="uq_audit_reads"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[datetime] = mapped_column(index=True)  # the hour the reads fell in (UTC)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(16))
    tool: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(128))
    executed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    first_ts: Mapped[datetime]
    last_ts: Mapped[datetime]
