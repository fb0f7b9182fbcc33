"""The audit trail, filterable, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AfterValidator

from api.deps import CurrentActor, ServicesDep
from api.schemas import AuditEntryPublic, ReadCountPublic, error_responses

router = APIRouter(prefix="/audit", tags=["audit"], responses=error_responses(401, 422))

COLUMNS = ["id", "ts", "event", "actor", "role", "tool", "host", "args", "approval_id",
           "approver", "thread_id", "message", "request"]  # fmt: skip
# A cell starting with one of these is a formula to a spreadsheet; requests and messages are
# written by users and containers, so such cells are quoted (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


EARLIEST = datetime(1970, 1, 1)
LATEST = datetime(2100, 1, 1)


def _utc(value: datetime | None) -> datetime | None:
    """Naive UTC (as stored), bounded to 1970-2100: an offset is converted, not dropped, and a
    time whose conversion would leave the calendar (0001-01-01+14:00) is a 422, not a 500."""
    if value is None:
        return None
    try:
        naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    except (OverflowError, ValueError):
        naive = None
    if naive is None or not EARLIEST <= naive <= LATEST:
        raise ValueError("must be a time between 1970-01-01 and 2100-01-01 (ISO 8601)")
    return naive


BoundedTime = Annotated[datetime | None, AfterValidator(_utc)]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@router.get(
    "",
    response_model=list[AuditEntryPublic],
    responses={
        200: {
            "description": "The entries, newest first: JSON, or CSV with `format=csv`.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
def audit(
    actor: CurrentActor,
    services: ServicesDep,
    user: Annotated[str | None, Query(alias="actor", max_length=128)] = None,
    tool: Annotated[str | None, Query(max_length=64)] = None,
    event: Annotated[str | None, Query(max_length=24)] = None,
    approval_id: Annotated[str | None, Query(max_length=32)] = None,
    since: Annotated[BoundedTime, Query()] = None,
    until: Annotated[BoundedTime, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """What the caller may see: viewers and bots their own entries, operators their own plus
    the approvals they decided, admins everything (secret-like values shown to admins only)."""
    entries = [
        e.public(viewer=actor)
        for e in services.gateway.audit.query(
            actor=user,
            tool=tool,
            event=event,
            approval_id=approval_id,
            since=since,
            until=until,
            limit=limit,
            visible_to=actor,
        )  # fmt: skip
    ]
    if format == "json":
        return entries
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for entry in entries:
        entry["args"] = json.dumps(entry["args"], sort_keys=True)
        writer.writerow({column: _cell(entry.get(column)) for column in COLUMNS})
    return Response(
        buffer.getvalue(),
        media_type="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit.csv"},
    )


@router.get("/reads", response_model=list[ReadCountPublic])
def read_counts(
    actor: CurrentActor,
    services: ServicesDep,
    user: Annotated[str | None, Query(alias="actor", max_length=128)] = None,
    since: Annotated[BoundedTime, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> list[dict[str, Any]]:
    """Reads, counted per hour, actor, tool and host: your own (all for an admin)."""
    counts = services.gateway.audit.read_counts(
        actor=user, since=since, limit=limit, visible_to=actor
    )
    return [c.public() for c in counts]
