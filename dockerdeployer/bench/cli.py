"""`dockerdeployer bench`: run the docker-bench tasks against the real engine.

Exit codes: 0 done (and at or above --min-pass), 1 below --min-pass, 2 could not run (bad task
files, engine unreachable, test image missing).
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported when `bench` runs, not when the CLI starts
    from dockerdeployer.bench.harness import ModelChoice
    from dockerdeployer.bench.report import Report
    from dockerdeployer.bench.spec import Task

EXIT_BELOW_THRESHOLD = 1
EXIT_CANNOT_RUN = 2


def register(app: typer.Typer) -> None:
    app.command("bench")(bench)


def bench(
    model: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible model name; default: the offline rules planner."),
    ] = None,
    base_url: Annotated[str | None, typer.Option(help="Endpoint of --model.")] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="DOCKERDEPLOYER_API_KEY", help="Key for --base-url.")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, max=20, help="Attempts per task (pass@k).")] = 1,
    task: Annotated[
        str | None,
        typer.Option(
            "--task", "-k", help="Only tasks whose id or category matches (substring or glob)."
        ),
    ] = None,
    min_pass: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Exit 1 when overall pass@1 is below this."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the full report (JSON) here.")
    ] = None,
    markdown_path: Annotated[
        Path | None, typer.Option("--markdown", help="Write the tables (markdown) here.")
    ] = None,
    tasks_dir: Annotated[
        Path | None, typer.Option(help="A directory of task files to use instead.")
    ] = None,
    isolate: Annotated[
        bool,
        typer.Option(
            "--isolate/--whole-engine",
            help="Offline planner: see only the task's containers (default) or the whole engine.",
        ),
    ] = True,
    task_timeout: Annotated[
        float, typer.Option(min=5.0, help="Seconds before a task is abandoned as an error.")
    ] = 120.0,
    list_only: Annotated[bool, typer.Option("--list", help="List the tasks and exit.")] = False,
) -> None:
    """The docker-bench evaluation: scenario tasks checked on the engine's final state."""
    from dockerdeployer.bench.harness import ModelChoice
    from dockerdeployer.bench.loader import TaskFileError, load_tasks

    try:
        tasks = load_tasks(tasks_dir, task)
    except TaskFileError as exc:
        typer.echo(f"bench: {exc}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from None
    if not tasks:
        typer.echo(f"bench: no task matches {task!r}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    if list_only:
        for t in tasks:
            typer.echo(f"{t.category:10} {t.difficulty:6} {t.style:14} {t.id:24} {t.description}")
        raise typer.Exit(0)
    choice = ModelChoice(model=model, base_url=base_url, api_key=api_key, isolate=isolate)
    report = _run(tasks, choice, repeat, task_timeout)
    _print(report)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n")
    if markdown_path:
        markdown_path.parent.mkdir(parents=True, exist_ok=True)
        markdown_path.write_text(report.to_markdown())
    if min_pass is not None and report.overall.pass_at_1 < min_pass:
        typer.echo(
            f"bench: pass@1 {report.overall.pass_at_1:.1%} is below --min-pass {min_pass:.1%}",
            err=True,
        )
        raise typer.Exit(EXIT_BELOW_THRESHOLD)


def _run(tasks: list[Task], choice: ModelChoice, repeat: int, task_timeout: float) -> Report:
    from dockerdeployer.bench.harness import open_runner
    from dockerdeployer.bench.progress import Progress
    from dockerdeployer.bench.report import Report, machine_info
    from dockerdeployer.bench.scope import TEST_IMAGE
    from dockerdeployer.wiring import build_engine
    from foundation.settings import Settings
    from tools.engine import diagnose
    from tools.manager import DockerManager

    engine = build_engine(Settings())
    diagnosis = diagnose(engine)
    if not diagnosis.reachable:
        typer.echo(f"bench: the Docker engine is not reachable: {diagnosis.problem}", err=True)
        typer.echo(f"fix: {diagnosis.fix}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN)
    if not DockerManager(engine).image_records(name=TEST_IMAGE):
        typer.echo(
            f"bench: the test image {TEST_IMAGE} is missing; `bash scripts/ensure-engine.sh` "
            "builds it from the host's static busybox (nothing is pulled)",
            err=True,
        )
        raise typer.Exit(EXIT_CANNOT_RUN)
    # SIGTERM (CI cancelling the job) unwinds like Ctrl-C, so the cleanup still runs.
    signal.signal(signal.SIGTERM, _terminate)
    started = time.perf_counter()
    progress = Progress(len(tasks) * repeat)
    with open_runner(choice, engine, task_timeout) as runner:
        typer.echo(f"docker-bench run {runner.run_id}: {len(tasks)} tasks x {repeat}, "
                   f"{runner.label}", err=True)  # fmt: skip
        try:
            attempts = runner.run(tasks, repeat, on_done=progress)
        finally:
            progress.close()
        return Report.build(
            tasks,
            attempts,
            run_id=runner.run_id,
            model=runner.label,
            repeat=repeat,
            seconds=time.perf_counter() - started,
            machine=machine_info(diagnosis.version or "?"),
        )


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _print(report: Report) -> None:
    k, overall, totals = report.repeat, report.overall, report.totals()
    typer.echo(f"\ndocker-bench {report.run_id} — {report.model}")
    header = f"{'category':12} {'tasks':>5} {'pass@1':>7}"
    typer.echo(header + (f" {f'pass@{k}':>7}" if k > 1 else ""))
    for name, r in report.categories().items():
        if not r.tasks:
            typer.echo(f"{name:12} {r.tasks:5d} skipped")
            continue
        extra = f" {r.pass_at_k:7.0%}" if k > 1 else ""
        typer.echo(f"{name:12} {r.tasks:5d} {r.pass_at_1:7.0%}{extra}")
    extra = f" {overall.pass_at_k:7.1%}" if k > 1 else ""
    typer.echo(f"{'overall':12} {overall.tasks:5d} {overall.pass_at_1:7.1%}{extra}")
    typer.echo(
        f"model calls {totals['model_calls']:.0f}, tokens in/out {totals['tokens_in']:.0f}/"
        f"{totals['tokens_out']:.0f}, tool calls {totals['tool_calls']:.0f}, "
        f"wall {report.seconds:.1f} s"
    )
    for s in report.skipped():
        typer.echo(f"SKIP {s.task.id}: {s.reason.removeprefix('skipped: ')}")
    for s in report.failing():
        typer.echo(f"FAIL {s.task.id} ({s.passes}/{len(s.attempts)}): {s.reason}")
