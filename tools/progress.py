"""Progress of a long step (an image pull) for whoever is watching the call.

The caller that can show progress (an SSE stream, the console) installs a sink for the call;
the engine layer reports to it. A context variable, so concurrent calls never see each
other's progress and a caller that installs nothing pays nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tools.errors import EngineError

Sink = Callable[[dict[str, Any]], None]
_sink: ContextVar[Sink | None] = ContextVar("progress_sink", default=None)

# A pull reports each layer several times a second; a watcher needs a few updates a second.
REPORT_EVERY_SECONDS = 0.25


@contextmanager
def watching(sink: Sink) -> Iterator[None]:
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


def report(event: dict[str, Any]) -> None:
    sink = _sink.get()
    if sink is not None:
        sink(event)


def follow_pull(image: str, events: Iterable[dict[str, Any]]) -> None:
    """Read a pull's JSON progress stream to its end, reporting `{"kind": "pull", "image",
    "status", "current", "total"}` (bytes over every layer seen) at most a few times a second,
    and every status without a byte count. An error in the stream raises: the engine's HTTP
    status was 200 when the stream began, so this is the only place a late failure shows."""
    layers: dict[str, tuple[int, int]] = {}
    last = 0.0
    for event in events:
        if event.get("error"):
            raise EngineError(str(event["error"]))
        detail = event.get("progressDetail") or {}
        if event.get("id") and detail.get("total"):
            layers[str(event["id"])] = (int(detail.get("current") or 0), int(detail["total"]))
        now = time.monotonic()
        if detail and now - last < REPORT_EVERY_SECONDS:
            continue
        last = now
        report(
            {
                "kind": "pull",
                "image": image,
                "status": str(event.get("status", "")),
                "current": sum(current for current, _ in layers.values()),
                "total": sum(total for _, total in layers.values()),
            }
        )
