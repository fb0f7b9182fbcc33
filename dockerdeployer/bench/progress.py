"""A plain-text progress bar on stderr: redrawn in place on a terminal, one line per task in CI."""

from __future__ import annotations

import sys
from typing import TextIO

from dockerdeployer.bench.attempt import Attempt


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.done = 0
        self.counts = {"pass": 0, "fail": 0, "error": 0, "skip": 0}
        self.live = self.stream.isatty()
        self._last = 0

    def __call__(self, attempt: Attempt) -> None:
        self.done += 1
        self.counts[attempt.status] += 1
        filled = self.width * self.done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        c = self.counts
        line = (
            f"[{bar}] {self.done}/{self.total}  pass {c['pass']} fail {c['fail'] + c['error']} "
            f"skip {c['skip']}  {attempt.status.upper():5} {attempt.task_id} "
            f"({attempt.wall_seconds:.1f}s)"
        )
        if self.live:
            self.stream.write("\r" + line.ljust(self._last))
            self._last = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()
