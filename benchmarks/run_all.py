"""Run every performance script, one after the other, and print a one-screen summary.

Each script runs as its own process (they create and remove their own labelled containers) with
the arguments benchmarks/README.md reports; its full output is printed as it comes, then the
headline figure of each is collected into a table at the end.

    .venv/bin/python benchmarks/run_all.py [--quick]    # --quick: smaller counts, shorter load
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Script:
    name: str
    args: list[str]
    quick_args: list[str]
    headline: str  # regex; its first group (or whole match) is the figure shown


SCRIPTS = [
    Script("list_containers.py", ["--count", "500"], ["--count", "100", "--runs", "5"],
           r"ours/raw \(manager\) = .*"),
    Script("agent_overhead.py", [], ["--runs", "20"], r"agent overhead\s+median\s+[\d.]+ ms"),
    Script("prompt_tokens.py", [], [], r"total per call\s+\d+ tokens"),
    Script("planner_accuracy.py", [], [], r"overall accuracy: .*"),
    Script("api_load.py", ["--seconds", "20"], ["--seconds", "5", "--clients", "10"],
           r"errors: \d+|audit: .*"),
    Script("log_streaming.py", [], ["--lines", "20000", "--runs", "3"],
           r"all lines: ours/CLI = [\d.]+\s+ours/raw = [\d.]+"),
    Script("image_update.py", [], ["--runs", "1"],
           r"update, healthy.*?\s{2,}[\d.]+ s|rollback, new image exits\s+[\d.]+ s"),
]  # fmt: skip


def run(script: Script, quick: bool) -> tuple[int, float, list[str]]:
    argv = [sys.executable, str(HERE / script.name), *(script.quick_args if quick else script.args)]
    print(f"\n=== {script.name} {' '.join(argv[2:])}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line.rstrip())
    return proc.wait(), time.perf_counter() - started, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, shorter runs")
    opts = parser.parse_args()
    rows = []
    for script in SCRIPTS:
        code, seconds, lines = run(script, opts.quick)
        found = [m.group(0) for line in lines if (m := re.search(script.headline, line))]
        rows.append((script.name, code, seconds, "; ".join(found) or "(no headline found)"))
    print(f"\n{'script':22} {'exit':>4} {'seconds':>8}  headline")
    for name, code, seconds, headline in rows:
        print(f"{name:22} {code:>4} {seconds:>8.1f}  {headline}")
    return max(code for _, code, _, _ in rows)


if __name__ == "__main__":
    sys.exit(main())
