"""Log throughput: our container_logs path vs `docker logs` and the raw engine, side by side.

One labelled container prints N lines (default 100,000, ~8 MB) and exits; then each way of
reading all of its logs is timed round-robin over several runs:

  engine GET /containers/{id}/logs      the raw multiplexed stream, read to the end
  docker logs (CLI)                     the Go client, output to a pipe
  docker SDK APIClient.logs             what the docker-py layer costs
  ours: DockerManager.logs (all lines)  our manager: demultiplex, decode, split, count
  ours: DockerManager.logs + grep       the same with a case-insensitive filter

and, as the tool is really called (tail capped at the schema's 10,000 lines, output capped at
`output_bytes_max`), one gateway `container_logs` call (guard + audit) vs `docker logs --tail`.
MB/s is log text per second (the same byte count for every method); x CLI is time / CLI time.

    .venv/bin/python benchmarks/log_streaming.py [--lines 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import docker.errors

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dockerdeployer.wiring import build_gateway  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from tools.engine import Engine  # noqa: E402
from tools.guard.policy import Actor, Role  # noqa: E402
from tools.manager import DockerManager  # noqa: E402

IMAGE = "dockerdeployer-test/busybox:1"
LABEL = "ddbench.run"
TOOL_TAIL = 10_000  # ContainerLogsInput.tail's maximum
# ~80 bytes a line, one in 50 an error, like a busy service's access log.
PRINTER = (
    "awk 'BEGIN { for (i = 1; i <= LINES; i++) printf \"2025-06-01T12:00:00.%06dZ %s "
    'request id=%d path=/api/v1/orders/%d status=%d took=%dms\\n", i, '
    '(i % 50 ? "INFO " : "ERROR"), i, i % 997, (i % 50 ? 200 : 502), i % 300 }\''
)


def print_logs(client: docker.DockerClient, run_id: str, lines: int) -> str:
    container = client.api.create_container(
        IMAGE,
        command=["sh", "-c", PRINTER.replace("LINES", str(lines), 1)],
        name=f"ddb-logs-{run_id}",
        labels={LABEL: run_id},
    )
    container_id = str(container["Id"])
    client.api.start(container_id)
    code = client.api.wait(container_id, timeout=120)["StatusCode"]
    if code != 0:
        raise RuntimeError(f"the log printer exited with {code}")
    return container_id


def timed(methods: list[Callable[[], int]], runs: int) -> list[tuple[list[float], int]]:
    """Round-robin, so drift in the engine or the page cache favours no method."""
    for fn in methods:
        fn()  # warm connections and the engine's log file in the page cache
    results: list[tuple[list[float], int]] = [([], 0) for _ in methods]
    for _ in range(runs):
        for i, fn in enumerate(methods):
            start = time.perf_counter()
            size = fn()
            results[i][0].append(time.perf_counter() - start)
            results[i] = (results[i][0], size)
    return results


def report(
    title: str, rows: list[tuple[str, Callable[[], int]]], runs: int, text: int
) -> list[float]:
    print(f"\n{title}")
    print(f"{'method':40} {'median ms':>10} {'min ms':>8} {'MB/s':>7} {'x CLI':>6}  returned")
    measured = timed([fn for _, fn in rows], runs)
    medians = [statistics.median(times) for times, _ in measured]
    cli = medians[1]
    for (name, _), (times, size), median in zip(rows, measured, medians, strict=True):
        print(f"{name:40} {median * 1e3:>10.1f} {min(times) * 1e3:>8.1f} "
              f"{text / median / 1e6:>7.1f} {median / cli:>6.2f}  {size:,} B")  # fmt: skip
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000, help="log lines to print")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per method")
    opts = parser.parse_args()

    client = docker.from_env(version="auto", timeout=300)
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        print(f"needs the test image {IMAGE} (the test suite builds it)", file=sys.stderr)
        return 2
    run_id = uuid.uuid4().hex[:10]

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        started = time.perf_counter()
        container_id = print_logs(client, run_id, opts.lines)
        text = len(subprocess.run(["docker", "logs", container_id], capture_output=True,
                                  check=True).stdout)  # fmt: skip
        print(f"{opts.lines:,} lines, {text / 1e6:.1f} MB of log text, printed in "
              f"{time.perf_counter() - started:.1f} s; median of {opts.runs} runs")  # fmt: skip

        engine = Engine.from_client(client)
        manager = DockerManager(engine, output_bytes_max=1 << 30)  # uncapped: measure reading
        url = client.api._url("/containers/{0}/logs", container_id)

        def raw() -> int:
            response = client.api._get(url, params={"stdout": 1, "stderr": 1}, stream=True)
            response.raise_for_status()
            return sum(len(chunk) for chunk in response.iter_content(1 << 16))

        def cli(*extra: str) -> Callable[[], int]:
            argv = ["docker", "logs", *extra, container_id]
            return lambda: len(subprocess.run(argv, capture_output=True, check=True).stdout)

        def sdk() -> int:
            return len(client.api.logs(container_id, stdout=True, stderr=True))

        def ours(grep: str | None = None) -> Callable[[], int]:
            def read() -> int:
                out, _, _ = manager.logs(container_id, opts.lines, grep=grep)
                return len(out)

            return read

        full = report(
            "all lines",
            [
                ("engine GET /containers/{id}/logs", raw),
                ("docker logs (CLI)", cli()),
                ("docker SDK APIClient.logs", sdk),
                ("ours: DockerManager.logs", ours()),
                ("ours: DockerManager.logs grep=error", ours("error")),
            ],
            opts.runs,
            text,
        )
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(home=Path(home), _env_file=None)
            gateway = build_gateway(settings, engine=engine)
            viewer = Actor("bench", Role.VIEWER)
            lines = min(TOOL_TAIL, settings.log_tail_max, opts.lines)  # what the tool reads

            def tool() -> int:
                outcome = gateway.call(
                    viewer, "container_logs", {"container": container_id, "tail": TOOL_TAIL}
                )
                assert outcome.status == "executed", outcome.message
                return len(outcome.result["text"])

            def engine_tail() -> int:
                return len(client.api.logs(container_id, tail=lines))

            tail = report(
                f"as the tool is called: tail={TOOL_TAIL:,} asked, {lines:,} lines read "
                f"(log_tail_max), text capped at {settings.output_bytes_max:,} B",
                [
                    (f"engine GET logs?tail={lines}", engine_tail),
                    (f"docker logs --tail {lines} (CLI)", cli("--tail", str(lines))),
                    ("ours: gateway container_logs (+audit)", tool),
                ],
                opts.runs,
                text * lines // opts.lines,
            )
        print(f"\nall lines: ours/CLI = {full[3] / full[1]:.2f}  ours/raw = {full[3] / full[0]:.2f}"
              f"  CLI/raw = {full[1] / full[0]:.2f}  (time ratios; < 1 is faster)")  # fmt: skip
        print(f"tool call: ours/CLI = {tail[2] / tail[1]:.2f}  ours/raw = {tail[2] / tail[0]:.2f}")
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout.flush()
        for item in client.api.containers(all=True, filters={"label": f"{LABEL}={run_id}"}):
            try:
                client.api.remove_container(item["Id"], force=True)
            except docker.errors.NotFound:
                pass
        client.close()


if __name__ == "__main__":
    sys.exit(main())
