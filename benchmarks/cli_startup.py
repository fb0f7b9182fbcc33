"""Start-up time of the `dockerdeployer` command, as bots and scripts pay it on every call.

Each command runs N times as a fresh process (the installed console script, no model configured,
DOCKERDEPLOYER_HOME in a temporary directory whose database the first, untimed, run creates).
Bytecode is cached as in an ordinary install (PYTHONPYCACHEPREFIX in the temporary directory),
so a PYTHONDONTWRITEBYTECODE in the caller's environment does not make every run recompile.
Printed per command: median wall time, median CPU time (user + system of the process: steadier
than wall time when other work shares the cores), and the ratio of the median wall time to the
goal. The bare interpreter's start is measured alongside as the floor.

Goals: `--help` < 0.3 s; a read request (`chat --dry-run --json "list containers"`) < 1 s.

    .venv/bin/python benchmarks/cli_startup.py [--runs 9] [--source DIR ...]

`--source DIR` runs the code in DIR instead of the installed code; given twice, it compares two
trees in one interleaved run, e.g. before and after a change:

    git archive <commit> | tar -x -C /tmp/before
    .venv/bin/python benchmarks/cli_startup.py --source /tmp/before --source .
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Command:
    name: str
    args: list[str]
    goal_seconds: float | None


COMMANDS = [
    Command("python -c pass (floor)", [], None),
    Command("dockerdeployer --help", ["--help"], 0.3),
    Command("chat --help", ["chat", "--help"], None),
    Command('chat --dry-run --json "list containers"',
            ["chat", "--dry-run", "--json", "list containers"], 1.0),
]  # fmt: skip


def entry_point() -> list[str]:
    """The console script installed next to this interpreter (what users run), else -m."""
    script = Path(sys.executable).with_name("dockerdeployer")
    found = script if script.exists() else shutil.which("dockerdeployer")
    return [str(found)] if found else [sys.executable, "-m", "dockerdeployer.cli"]


def run_once(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one process; a failing command stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs per command")
    parser.add_argument(
        "--source", type=Path, action="append",
        help="run the project's code from this directory; repeat to compare trees in one run",
    )  # fmt: skip
    opts = parser.parse_args()
    program = entry_point()
    sources: list[Path | None] = opts.source or [None]
    print(f"{' '.join(program)}; {opts.runs} runs each, interleaved; {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f} before")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        base = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERDEPLOYER_")}
        base.pop("PYTHONDONTWRITEBYTECODE", None)
        base["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        cases: list[tuple[Path | None, Command, list[str], dict[str, str], str]] = []
        for n, source in enumerate(sources):
            # Its own state directory per tree (no model configured: the offline planner).
            home = Path(tmp) / f"home{n}"
            home.mkdir()
            env = {**base, "DOCKERDEPLOYER_HOME": str(home)}
            if source is not None:
                env["PYTHONPATH"] = str(source.resolve())
            for command in COMMANDS if n == 0 else COMMANDS[1:]:  # one floor is enough
                argv = [*program, *command.args] if command.args else [sys.executable, "-c", "pass"]
                cases.append((source, command, argv, env, str(home)))
        for _, _, argv, env, cwd in cases:  # warm-up: databases, bytecode, page cache
            run_once(argv, env, cwd)
        timings: list[list[tuple[float, float]]] = [[] for _ in cases]
        for _ in range(opts.runs):  # interleaved, so a change in load hits every case alike
            for case, (_, _, argv, env, cwd) in zip(timings, cases, strict=True):
                case.append(run_once(argv, env, cwd))
    over = 0
    shown: Path | None | bool = False
    for (source, command, *_), runs in zip(cases, timings, strict=True):
        if source != shown:
            print(f"\ncode: {source or 'as installed'}")
            print(f"{'command':42} {'wall median':>11} {'cpu median':>10} {'goal':>6} {'ratio':>6}")
            shown = source
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        line = f"{command.name:42} {wall:10.3f}s {cpu:9.3f}s"
        if command.goal_seconds is not None:
            ratio = wall / command.goal_seconds
            over += ratio >= 1
            line += f" {command.goal_seconds:5.1f}s {ratio:5.2f}x  {'ok' if ratio < 1 else 'OVER'}"
        print(line)
    print(f"\nload {os.getloadavg()[0]:.1f} after")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
