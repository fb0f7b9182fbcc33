"""Diagnosis: why a container died or misbehaves, with evidence and the fix as a proposal.

`diagnose_container` reads one container's state, exit code (and what it means), OOM kill,
restart count and policy, health-check output, recent engine events and the error-looking log
lines; the likely cause comes first, then the evidence, then a call that would fix it (which,
like any change, goes through approval). `find_problems` looks at every container on a host in
one listing and diagnoses only the ones in trouble.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from tools.catalogue import ToolContext, tool
from tools.catalogue.containers import _resolve_only, _target
from tools.errors import DockerDeployerError
from tools.guard.policy import Risk
from tools.plan import ActionPlan
from tools.schemas import DiagnoseContainerInput, FindProblemsInput

# What an exit code usually means (128 + n: killed by signal n).
EXIT_MEANINGS = {
    0: "exited normally (its main process finished)",
    1: "the application failed (general error)",
    2: "the command was misused (bad arguments or shell syntax)",
    125: "docker could not run the container (the run itself failed)",
    126: "the command could not be executed (not executable, or permission denied)",
    127: "the command was not found in the image",
    128: "the process exited with an invalid exit code",
    130: "interrupted (SIGINT, Ctrl-C)",
    134: "aborted (SIGABRT, often an assertion or a crash)",
    137: "killed (SIGKILL): out of memory, `docker kill`, or a stop that timed out",
    139: "crashed with a segmentation fault (SIGSEGV)",
    143: "terminated (SIGTERM): stopped by docker stop or the orchestrator",
}
ERROR_LINE = re.compile(
    r"error|fatal|panic|exception|traceback|killed|cannot|can't|failed|denied|not found|"
    r"no such|refused|unable|invalid|segfault|out of memory",
    re.IGNORECASE,
)
CRASH_LOOP_RESTARTS = 3
EVENT_WINDOW = timedelta(hours=1)
EVENT_TYPES = ("die", "oom", "kill", "health_status", "restart", "start", "stop")


class SuggestedCall(BaseModel):
    tool: str
    args: dict[str, Any]


class Diagnosis(BaseModel):
    """Likely cause first, then the evidence, then the fix it can propose."""

    container: str
    state: str
    likely_cause: str
    evidence: list[str] = Field(default_factory=list)
    fix: str | None = None
    suggested_call: SuggestedCall | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    restart_count: int = 0
    restart_policy: str = "no"
    health: str | None = None
    error_lines: list[str] = Field(default_factory=list)
    recent_events: list[str] = Field(default_factory=list)


class Problem(BaseModel):
    container: str
    host: str
    problem: str
    likely_cause: str
    fix: str | None = None


def exit_meaning(code: int | None) -> str:
    if code is None:
        return "no exit code"
    if code in EXIT_MEANINGS:
        return EXIT_MEANINGS[code]
    if code > 128:
        return f"killed by signal {code - 128}"
    return "the application exited with an error of its own"


def _health(state: dict[str, Any]) -> tuple[str | None, list[str]]:
    health = state.get("Health") or {}
    outputs = [
        f"probe exit {p.get('ExitCode')}: {str(p.get('Output') or '').strip()[:200]}"
        for p in (health.get("Log") or [])[-3:]
    ]
    return health.get("Status"), outputs


def diagnose(info: dict[str, Any], logs: str, events: list[str], memory_peak: int | None) -> (
    Diagnosis
):
    """The reasoning, on data already read (pure: testable without an engine)."""
    name = str(info.get("Name", "")).lstrip("/")
    state = info.get("State") or {}
    host_config = info.get("HostConfig") or {}
    status = str(state.get("Status", "unknown"))
    code = state.get("ExitCode")
    oom = bool(state.get("OOMKilled"))
    restarts = int(info.get("RestartCount") or 0)
    policy = str((host_config.get("RestartPolicy") or {}).get("Name") or "no")
    health, probes = _health(state)
    limit = int(host_config.get("Memory") or 0)
    engine_error = str(state.get("Error") or "").strip()
    lowered = engine_error.lower()
    # A start the engine refused (`docker run` of a command the image lacks, a port in use)
    # leaves the container "created", with the exit code docker run reports and the error.
    failed_start = status == "created" and bool(engine_error)
    # The engine can miss the kill when it handles the exit first (seen on 20.10, cgroup v1):
    # OOMKilled stays false, but its own "oom" event says what happened.
    oom_event = any(event.endswith(" oom") for event in events)
    errors = [line.strip()[:300] for line in logs.splitlines() if ERROR_LINE.search(line)][-8:]
    ended = status in ("exited", "dead", "restarting")
    exit_text = f", exit code {code} ({exit_meaning(code)})" if ended else ""
    if failed_start:  # the engine's code for its own failure: 126/127 as usual, else generic
        meaning = exit_meaning(code) if code in (126, 127) else "the engine could not start it"
        exit_text = f", exit code {code} ({meaning})"
    evidence = [f"state: {status}{exit_text}"]
    if restarts:
        evidence.append(f"restarted {restarts} times (restart policy {policy})")
    if oom:
        evidence.append("the kernel killed it for using too much memory (OOMKilled)")
    if limit:
        peak = f", peak usage {memory_peak // 2**20} MiB" if memory_peak else ""
        evidence.append(f"memory limit {limit // 2**20} MiB{peak}")
    if health:
        evidence.append(f"health: {health}")
        evidence += probes
    if engine_error:
        evidence.append(f"engine error: {engine_error}")
    evidence += [f"event: {e}" for e in events[-6:]]
    fix: str | None = None
    call: SuggestedCall | None = None
    restart = SuggestedCall(tool="restart_container", args={"container": name})
    if engine_error and ("port is already allocated" in engine_error
                         or "address already in use" in engine_error):  # fmt: skip
        cause = "its host port is already taken by another container or process"
        fix = "free the port, or run it again publishing another host port"
    elif "no such image" in lowered or (
        "image" in lowered and "not found" in lowered and "executable file" not in lowered
    ):
        cause = "its image is missing on this host"
        fix = "pull the image (pull_image), then start it again"
    elif (
        oom
        or (code == 137 and oom_event)
        or (code == 137 and limit and memory_peak and memory_peak >= limit * 0.9)
    ):
        cause = "it ran out of memory and the kernel killed it (OOM)"
        fix = "give it a higher memory limit, or find what uses the memory (logs, stats)"
    elif status == "restarting" or (restarts >= CRASH_LOOP_RESTARTS and policy != "no"):
        cause = (f"it is in a crash loop: it keeps exiting (code {code}: {exit_meaning(code)}) "
                 f"and the restart policy {policy} brings it back")  # fmt: skip
        fix = "read the error lines below; fix the configuration or the command, then restart"
    elif health == "unhealthy":
        cause = "its health check keeps failing" + (f" ({probes[-1]})" if probes else "")
        fix = "look at what the health check tests; restarting may help if it is stuck"
        call = restart
    elif (status in ("exited", "dead") or failed_start) and code == 127:
        cause = "its command was not found in the image (exit 127)"
        fix = "run it with a command that exists in the image"
    elif (status in ("exited", "dead") or failed_start) and code == 126:
        cause = "its command could not be executed (exit 126: not executable or no permission)"
        fix = "check the command and its file permissions"
    elif failed_start:
        cause = f"the engine could not start it: {engine_error[:300]}"
        fix = "fix what the engine reports, then start it again"
    elif status in ("exited", "dead") and code not in (None, 0):
        cause = f"it exited with code {code}: {exit_meaning(code)}"
        fix = "read the error lines below; start it again once the cause is fixed"
        call = SuggestedCall(tool="start_container", args={"container": name})
    elif status == "exited":
        cause = "it finished normally (exit 0): its main process ran to the end"
        fix = "if it should keep running, its command must stay in the foreground"
    elif status == "created":
        cause = "it was created but never started"
        call = SuggestedCall(tool="start_container", args={"container": name})
        fix = "start it"
    elif status == "paused":
        cause = "it is paused"
        fix = "unpause it (docker unpause)"
    else:
        looks = "; its logs show errors (below)" if errors else "; nothing looks wrong"
        cause = f"it is {status}" + (" and healthy" if health == "healthy" else "") + looks
    return Diagnosis(
        container=name, state=status, likely_cause=cause, evidence=evidence, fix=fix,
        suggested_call=call, exit_code=code, oom_killed=oom, restart_count=restarts,
        restart_policy=policy, health=health, error_lines=errors, recent_events=events[-10:],
    )  # fmt: skip


def _events(ctx: ToolContext, container_id: str) -> list[str]:
    # The SDK sends whole seconds: `until=now` would leave out this second's events, which are
    # the crash a person asks about right after it happened. The next whole second keeps them
    # (the engine answers when that second has passed: at most a second's wait).
    now = datetime.now(UTC)
    until = now.replace(microsecond=0) + timedelta(seconds=1)
    try:
        raw = ctx.docker.events(container_id, now - EVENT_WINDOW, until, EVENT_TYPES)
    except DockerDeployerError:
        return []
    lines = []
    for event in raw:
        when = datetime.fromtimestamp(int(event.get("time", 0)), UTC).strftime("%H:%M:%S")
        action = str(event.get("Action") or event.get("status") or "")
        attributes = (event.get("Actor") or {}).get("Attributes") or {}
        extra = f" exit {attributes['exitCode']}" if "exitCode" in attributes else ""
        lines.append(f"{when} {action}{extra}")
    return lines


@tool(Risk.READ, DiagnoseContainerInput, _resolve_only, private=True)
def diagnose_container(
    ctx: ToolContext, args: DiagnoseContainerInput, plan: ActionPlan
) -> Diagnosis:
    """Why a container crashed, exited or is unhealthy: likely cause first, then evidence (exit
    code and meaning, OOM kill, restarts, health checks, engine events, error log lines), then
    a fix it can propose."""
    target = _target(plan)
    info = ctx.docker.inspect_raw(target.id)
    logs, _, _ = ctx.docker.logs(target.id, tail=200)
    peak = None
    if (info.get("State") or {}).get("Running"):
        try:
            peak = ctx.docker.stats(target.id, target.name).memory_usage
        except DockerDeployerError:
            peak = None
    return diagnose(info, logs, _events(ctx, target.id), peak)


def _problem_of(record: Any) -> str | None:
    status = record.status.lower()
    if record.state == "restarting":
        return "restarting"
    if "(unhealthy)" in status:
        return "unhealthy"
    if record.state in ("exited", "dead"):
        match = re.search(r"exited \((\d+)\)", status)
        if record.state == "dead" or (match and match.group(1) != "0"):
            return f"exited with code {match.group(1) if match else '?'}"
    if record.state == "created":
        return "created but never started"
    return None


@tool(Risk.READ, FindProblemsInput)
def find_problems(ctx: ToolContext, args: FindProblemsInput, plan: ActionPlan) -> list[Problem]:
    """Everything in trouble on a host: crash loops, unhealthy, exited non-zero, never started;
    each with its likely cause (one listing, then a look at each container in trouble)."""
    problems = []
    for record in ctx.docker.container_records(all=True):
        problem = _problem_of(record)
        if problem is None:
            continue
        try:
            info = ctx.docker.inspect_raw(record.id)
            logs, _, _ = ctx.docker.logs(record.id, tail=50)
            found = diagnose(info, logs, [], None)
        except DockerDeployerError as exc:  # removed meanwhile, or unreadable: say so
            problems.append(Problem(container=record.name, host=ctx.docker.host,
                                    problem=problem, likely_cause=exc.message))  # fmt: skip
            continue
        problems.append(
            Problem(container=record.name, host=ctx.docker.host, problem=problem,
                    likely_cause=found.likely_cause, fix=found.fix)  # fmt: skip
        )
    return sorted(problems, key=lambda p: p.container)
