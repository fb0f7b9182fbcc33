"""Server-Sent Events: one JSON object per `data:` line, and the response that carries them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi.responses import StreamingResponse

# What OpenAPI says an SSE route returns.
SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events, one JSON object per `data:` line.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n"


def event_stream(events: Iterator[str] | AsyncIterator[str]) -> StreamingResponse:
    # no-cache, and no buffering by a proxy in front (nginx buffers by default)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
