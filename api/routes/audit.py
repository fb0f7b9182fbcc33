"""The audit trail, filterable, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentActor, ServicesDep
from api.schemas import AuditEntryPublic, error_responses

router = APIRouter(prefix="/audit", tags=["audit"], responses=error_responses(401, 422))

COLUMNS = ["id", "ts", "event", "actor", "role", "tool", "host", "args", "approval_id",
           "approver", "thread_id", "message", "request"]  # fmt: skip
# A cell starting with one of these is a formula to a spreadsheet; requests and messages are
# written by users and containers, so such cells are quoted (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
    format: Literal["json", "csv"] = "json",
) -> Any:
    def naive(value: datetime | None) -> datetime | None:
        # Stored times are naive UTC; an offset given by the client is converted, not dropped.
        return value.astimezone(UTC).replace(tzinfo=None) if value and value.tzinfo else value

    entries = [
        e.public()
        for e in services.gateway.audit.query(
            actor=user, tool=tool, event=event, approval_id=approval_id,
            since=naive(since), until=naive(until), limit=limit,
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
