"""The audit trail: every proposed, approved, rejected, denied, executed and failed change,
one row each; reads counted compactly per hour, actor, tool and host (`ReadTally`)."""

from __future__ import annotations

import atexit
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from foundation.db import utcnow
from tools.approvals import redact_env_values, redact_value
from tools.guard.policy import Actor, ActorKind, Role
from tools.manager import redact_args
from tools.store import ApprovalRow, AuditReadRow, AuditRow

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

    def public(self, viewer: Actor | None = None) -> dict[str, Any]:
        """As shown to people; for a viewer other than an admin, env values and lines that
        look like secrets are redacted."""
        data = dict(self.__dict__)
        data["ts"] = self.ts.isoformat(timespec="milliseconds") + "Z"
        if viewer is not None and not _sees_all(viewer):
            data["args"] = redact_env_values(data["args"])
            data["message"] = redact_value(data["message"])
            data["request"] = redact_value(data["request"])
        return data


def _sees_all(actor: Actor) -> bool:
    return actor.role is Role.ADMIN and actor.kind is not ActorKind.BOT


@dataclass
class ReadCount:
    bucket: datetime
    actor: str
    role: str
    tool: str
    host: str
    executed: int
    failed: int
    first_ts: datetime
    last_ts: datetime

    def public(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        for key in ("bucket", "first_ts", "last_ts"):
            data[key] = getattr(self, key).isoformat(timespec="seconds") + "Z"
        return data


_Key = tuple[datetime, str, str, str, str]  # bucket, actor, role, tool, host


def _row_order(item: tuple[_Key, Any]) -> tuple[datetime, str, str, str]:
    bucket, actor, _role, tool, host = item[0]
    return bucket, actor, tool, host


class ReadTally:
    """Counts reads in memory and adds them to `audit_reads` in the background (about once a
    second, and when the process exits), so a read costs a dict increment, not a write.

    What a crash can lose is the last second's read counts; changes are never tallied.
    Several processes on one database add to the same rows (UPDATE count = count + n).
    """

    def __init__(self, sessions: sessionmaker[Any], interval: float = 1.0) -> None:
        self.sessions = sessions
        self.interval = interval
        self._lock = threading.Lock()
        self._counts: Counter[tuple[_Key, str]] = Counter()
        self._times: dict[_Key, tuple[datetime, datetime]] = {}
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="read-tally", daemon=True)
        self._thread.start()
        atexit.register(self._flush_at_exit)

    def add(self, actor: Actor, tool: str, host: str, ok: bool) -> None:
        now = utcnow()
        key = (now.replace(minute=0, second=0, microsecond=0), actor.name, actor.role.value,
               tool, host)  # fmt: skip
        with self._lock:
            self._counts[(key, "executed" if ok else "failed")] += 1
            first, _ = self._times.get(key, (now, now))
            self._times[key] = (first, now)

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a database hiccup: keep the counts for the next round
                continue

    def flush(self) -> None:
        with self._lock:
            counts, times = self._counts, self._times
            self._counts, self._times = Counter(), {}
        if not times:
            return
        try:
            with self.sessions.begin() as session:
                # In the unique key's order: two replicas flushing at once then lock rows in
                # the same order (on PostgreSQL, any other order can deadlock).
                for key, (first, last) in sorted(times.items(), key=_row_order):
                    self._add_row(session, key, counts[(key, "executed")],
                                  counts[(key, "failed")], first, last)  # fmt: skip
        except Exception:
            with self._lock:  # put them back: nothing counted is dropped on a failed write
                self._counts.update(counts)
                for key, (first, last) in times.items():
                    old = self._times.get(key)
                    self._times[key] = (min(first, old[0]), max(last, old[1])) if old else (
                        first, last)  # fmt: skip
            raise

    @staticmethod
    def _add_row(
        session: Any, key: _Key, executed: int, failed: int, first: datetime, last: datetime
    ) -> None:
        bucket, actor, role, tool, host = key
        where = (AuditReadRow.bucket == bucket, AuditReadRow.actor == actor,
                 AuditReadRow.tool == tool, AuditReadRow.host == host)  # fmt: skip
        stmt = (
            update(AuditReadRow).where(*where)
            .values(executed=AuditReadRow.executed + executed,
                    failed=AuditReadRow.failed + failed, last_ts=last)
        )  # fmt: skip
        if session.execute(stmt).rowcount:
            return
        try:
            with session.begin_nested():
                session.add(AuditReadRow(bucket=bucket, actor=actor, role=role, tool=tool,
                                         host=host, executed=executed, failed=failed,
                                         first_ts=first, last_ts=last))  # fmt: skip
        except IntegrityError:  # another process inserted it meanwhile
            session.execute(stmt)

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception:  # the database is gone (a test's temporary one): nothing to keep
            pass

    def close(self) -> None:
        self._closed = True
        self._wake.set()
        self.flush()


class AuditLog:
    def __init__(self, sessions: sessionmaker[Any]) -> None:
        self.sessions = sessions
        self.reads = ReadTally(sessions)

    def read(self, actor: Actor, tool: str, host: str, ok: bool) -> None:
        """Count a read (not a row of its own)."""
        self.reads.add(actor, tool, host, ok)

    def read_counts(
        self,
        *,
        actor: str | None = None,
        since: datetime | None = None,
        limit: int = 500,
        visible_to: Actor | None = None,
    ) -> list[ReadCount]:
        """Newest hour first; with `visible_to` other than an admin, that actor's own only."""
        self.reads.flush()
        stmt = select(AuditReadRow).order_by(AuditReadRow.bucket.desc()).limit(limit)
        if visible_to is not None and not _sees_all(visible_to):
            stmt = stmt.where(AuditReadRow.actor == visible_to.name)
        if actor:
            stmt = stmt.where(AuditReadRow.actor == actor)
        if since:
            stmt = stmt.where(AuditReadRow.last_ts >= since)
        with self.sessions() as session:
            return [
                ReadCount(**{f: getattr(row, f) for f in ReadCount.__dataclass_fields__})
                for row in session.scalars(stmt)
            ]

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
        visible_to: Actor | None = None,
    ) -> list[AuditEntry]:
        """Newest first. With `visible_to`, least visibility: viewers and bots see their own
        entries; operators their own plus every entry of the approvals they decided; admins
        everything."""
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if visible_to is not None and not _sees_all(visible_to):
            own = AuditRow.actor == visible_to.name
            if visible_to.kind is ActorKind.BOT or visible_to.role.rank < Role.OPERATOR.rank:
                stmt = stmt.where(own)
            else:
                decided = select(ApprovalRow.id).where(ApprovalRow.decided_by == visible_to.name)
                stmt = stmt.where(
                    or_(own, AuditRow.approver == visible_to.name,
                        AuditRow.approval_id.in_(decided))
                )  # fmt: skip
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
