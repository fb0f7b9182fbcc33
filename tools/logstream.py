"""Following a container's logs, bounded: by time, by lines, and by the container stopping.

The engine's follow stream never ends on its own while the container runs, and a quiet
container sends nothing, so a reader blocked on it cannot check a deadline. A timer closes the
stream at the deadline instead; the blocked read then ends (with an error, which means "time's
up" here, not a failure).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

# One line longer than this is cut (a binary blob with no newline must not grow without end).
LINE_BYTES_MAX = 16 * 1024


class Closable(Protocol):
    def __iter__(self) -> Iterator[bytes]: ...
    def close(self) -> None: ...


@dataclass
class LogFollow:
    """A followed log stream: its lines, and `close`, which any thread may call to end it at
    once (the reader blocked on it then stops, as at its deadline): for a client that left."""

    lines: Iterator[str]
    close: Callable[[], None]

    def __iter__(self) -> Iterator[str]:
        return self.lines


def bounded_lines(
    stream: Closable, *, grep: str | None, seconds: float, max_lines: int
) -> Iterator[str]:
    """Decoded lines of `stream` (containing `grep`, case-insensitive, when given) until
    `seconds` pass, `max_lines` lines came, or the stream ends."""
    timer = threading.Timer(seconds, stream.close)
    timer.daemon = True
    timer.start()
    sent = 0
    try:
        for line in _split(_until_closed(stream, timer)):
            if grep and grep.lower() not in line.lower():
                continue
            yield line
            sent += 1
            if sent >= max_lines:
                return
    finally:
        timer.cancel()
        stream.close()


def _until_closed(stream: Iterable[bytes], timer: threading.Timer) -> Iterator[bytes]:
    try:
        yield from stream
    except Exception:
        # Closed under the reader by the timer: the end of the window, not a failure.
        if not timer.finished.is_set():
            raise


def _split(chunks: Iterable[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            yield _decode(raw)
        if len(pending) > LINE_BYTES_MAX:
            yield _decode(pending[:LINE_BYTES_MAX]) + " [line cut]"
            pending = b""
    if pending:
        yield _decode(pending)


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")
