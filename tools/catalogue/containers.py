"""Container tools: list, inspect, logs, stats, start, stop, restart, remove, run, exec."""

from __future__ import annotations

import re
import shlex
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tools.catalogue import ToolContext, tool
from tools.errors import Conflict, DockerDeployerError, ImageNotFound, InvalidArguments
from tools.guard.policy import Risk
from tools.labels import COMPOSE_PROJECT
from tools.manager import ContainerRecord, cap_text, redact_env, wait_for_state
from tools.plan import ActionPlan, Target
from tools.schemas import (
    FOLLOW_SECONDS_IN_ANSWER,
    ActionResult,
    ContainerDetail,
    ContainerLogsInput,
    ContainerStatsInput,
    ContainerSummary,
    ExecInContainerInput,
    InspectContainerInput,
    ListContainersInput,
    LogsResult,
    RemoveContainerInput,
    RestartContainerInput,
    RunContainerInput,
    StartContainerInput,
    StatsOverview,
    StatsResult,
    StopContainerInput,
)


def container_target(record: ContainerRecord) -> Target:
    return Target(
        kind="container",
        id=record.id,
        name=record.name,
        labels=record.labels,
        detail={
            "image": record.image,
            "image_id": record.image_id,
            "state": record.state,
            "ports": record.ports,
            "volumes": [f"{m.source}:{m.destination}" for m in record.mounts],
        },
    )


def _impact(record: ContainerRecord, records: list[ContainerRecord]) -> list[str]:
    lines = [f"{record.name} ({record.id[:12]}) is {record.state}, image {record.image}"]
    if record.ports:
        lines.append("publishes " + ", ".join(record.ports))
    for mount in record.mounts:
        lines.append(f"{mount.type} {mount.source} mounted at {mount.destination}")
    project = record.labels.get(COMPOSE_PROJECT)
    if project:
        lines.append(f"part of compose project {project!r}")
    user_networks = [n for n in record.networks if n not in ("bridge", "host", "none")]
    peers = sorted(
        r.name for r in records if r.id != record.id and set(r.networks) & set(user_networks)
    )
    if peers:
        lines.append("shares networks with " + ", ".join(peers[:10]))
    return lines


def _plan_container(ctx: ToolContext, ref: str, summary: str, argv: list[str]) -> ActionPlan:
    records = ctx.docker.container_records(all=True)
    record = ctx.docker.resolve_container(ref, records)
    return ActionPlan(
        summary=f"{summary} {record.name} ({record.id[:12]})",
        command=shlex.join(["docker", *argv, record.name]),
        targets=[container_target(record)],
        impact=_impact(record, records),
    )


def _resolve_only(ctx: ToolContext, args: Any) -> ActionPlan:
    record = ctx.docker.resolve_container(args.container)
    return ActionPlan(summary="read", targets=[container_target(record)])


def _target(plan: ActionPlan) -> Target:
    return plan.targets[0]


# --- read ---------------------------------------------------------------------------------------


@tool(Risk.READ, ListContainersInput)
def list_containers(
    ctx: ToolContext, args: ListContainersInput, plan: ActionPlan
) -> list[ContainerSummary]:
    """List containers (default: running). Filter by status, name, label, image, or condition
    (unhealthy, restarting, exited_nonzero, never_started)."""
    if args.condition is None:
        return ctx.docker.list_containers(args.status, args.name, args.label, args.image)
    found = ctx.docker.list_containers("all", args.name, args.label, args.image)
    return [c for c in found if in_condition(c, args.condition)]


def in_condition(container: ContainerSummary, condition: str) -> bool:
    status = container.status.lower()
    if condition == "unhealthy":
        return "(unhealthy)" in status
    if condition == "restarting":
        return container.state == "restarting"
    if condition == "never_started":
        return container.state == "created"
    match = re.search(r"exited \((\d+)\)", status)
    return container.state == "dead" or (match is not None and match.group(1) != "0")


@tool(Risk.READ, InspectContainerInput, _resolve_only)
def inspect_container(
    ctx: ToolContext, args: InspectContainerInput, plan: ActionPlan
) -> ContainerDetail:
    """Details of one container: state, exit code, health, ports, mounts, env, labels."""
    return ctx.docker.inspect_container(_target(plan).id)


@tool(Risk.READ, ContainerLogsInput, _resolve_only, private=True)
def container_logs(ctx: ToolContext, args: ContainerLogsInput, plan: ActionPlan) -> LogsResult:
    """Recent log lines of a container (stdout and stderr), optionally filtered."""
    target = _target(plan)
    tail = min(args.tail, ctx.log_tail_max)
    if not args.follow:
        text, lines, truncated = ctx.docker.logs(target.id, tail, args.since, args.grep)
        return LogsResult(container=target.name, lines=lines, truncated=truncated, text=text)
    seconds = min(args.seconds, FOLLOW_SECONDS_IN_ANSWER)
    found = list(
        ctx.docker.follow_logs(
            target.id, tail, args.since, args.grep, seconds=seconds, max_lines=ctx.log_tail_max
        )
    )
    text, truncated = cap_text("\n".join(found), ctx.docker.output_bytes_max)
    return LogsResult(container=target.name, lines=len(found), truncated=truncated, text=text)


def _plan_stats(ctx: ToolContext, args: ContainerStatsInput) -> ActionPlan:
    return _resolve_only(ctx, args) if args.container else ActionPlan(summary="read")


@tool(Risk.READ, ContainerStatsInput, _plan_stats)
def container_stats(
    ctx: ToolContext, args: ContainerStatsInput, plan: ActionPlan
) -> StatsResult | StatsOverview:
    """CPU, memory, network and block I/O right now: of one container, or (no container) of
    every running one at once, sorted by cpu or memory, with totals."""
    if plan.targets:
        target = _target(plan)
        return ctx.docker.stats(target.id, target.name)
    running = ctx.docker.container_records(all=False)
    with ThreadPoolExecutor(max_workers=8) as pool:  # each sample takes the engine ~1 s
        samples = list(pool.map(lambda r: _sample(ctx, r), running))
    found = [s for s in samples if s is not None]
    key = (lambda s: s.cpu_percent) if args.sort_by == "cpu" else (lambda s: s.memory_usage)
    found.sort(key=key, reverse=True)
    return StatsOverview(
        containers=found,
        sort_by=args.sort_by,
        total_cpu_percent=round(sum(s.cpu_percent for s in found), 2),
        total_memory_usage=sum(s.memory_usage for s in found),
    )


def _sample(ctx: ToolContext, record: ContainerRecord) -> StatsResult | None:
    try:
        return ctx.docker.stats(record.id, record.name)
    except DockerDeployerError:  # stopped or removed meanwhile
        return None


# --- change -------------------------------------------------------------------------------------


def _plan_start(ctx: ToolContext, args: StartContainerInput) -> ActionPlan:
    plan = _plan_container(ctx, args.container, "Start container", ["start"])
    plan.carried = ctx.docker.carried_options(_target(plan).id)
    return plan


@tool(Risk.CHANGE, StartContainerInput, _plan_start)
def start_container(ctx: ToolContext, args: StartContainerInput, plan: ActionPlan) -> ActionResult:
    """Start a stopped container."""
    target = _target(plan)
    ctx.docker.start(target.id)
    state = wait_for_state(ctx.docker, target.id, "running", 2.0)
    return ActionResult(
        message=f"started {target.name}", command=plan.command, targets=[target.id], state=state
    )


def _plan_stop(ctx: ToolContext, args: StopContainerInput) -> ActionPlan:
    return _plan_container(ctx, args.container, "Stop container", ["stop", "-t", str(args.timeout)])


@tool(Risk.CHANGE, StopContainerInput, _plan_stop)
def stop_container(ctx: ToolContext, args: StopContainerInput, plan: ActionPlan) -> ActionResult:
    """Stop a running container (SIGTERM, then SIGKILL after timeout)."""
    target = _target(plan)
    ctx.docker.stop(target.id, args.timeout)
    return ActionResult(
        message=f"stopped {target.name}",
        command=plan.command,
        targets=[target.id],
        state=ctx.docker.state_of(target.id),
    )


def _plan_restart(ctx: ToolContext, args: RestartContainerInput) -> ActionPlan:
    plan = _plan_container(
        ctx, args.container, "Restart container", ["restart", "-t", str(args.timeout)]
    )
    plan.carried = ctx.docker.carried_options(_target(plan).id)
    return plan


@tool(Risk.CHANGE, RestartContainerInput, _plan_restart)
def restart_container(
    ctx: ToolContext, args: RestartContainerInput, plan: ActionPlan
) -> ActionResult:
    """Restart a container."""
    target = _target(plan)
    ctx.docker.restart(target.id, args.timeout)
    return ActionResult(
        message=f"restarted {target.name}",
        command=plan.command,
        targets=[target.id],
        state=ctx.docker.state_of(target.id),
    )


def _port_bindings(args: RunContainerInput) -> dict[str, list[dict[str, str]]]:
    """`{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` from `{"8080": "80"}`."""
    bindings: dict[str, list[dict[str, str]]] = {}
    for host_port, container_port in sorted(args.ports.items()):
        host_ip, _, port = str(host_port).rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidArguments(f"host port {host_port!r} is not a port number")
        number, _, proto = str(container_port).partition("/")
        if not number.isdigit() or not 0 < int(number) < 65536 or proto not in ("", "tcp", "udp"):
            raise InvalidArguments(
                f"container port {container_port!r} is not like '80' or '53/udp'"
            )
        bindings.setdefault(f"{number}/{proto or 'tcp'}", []).append(
            {"HostIp": host_ip, "HostPort": port}
        )
    return bindings


def run_payload(args: RunContainerInput) -> dict[str, Any]:
    """The SDK's `create_container` arguments for a run: what the engine will be sent."""
    for source, target in args.volumes.items():
        if source.startswith((".", "~")):
            raise InvalidArguments(f"volume source {source!r}: use an absolute host path")
        if not target.split(":")[0].startswith("/"):
            raise InvalidArguments(f"volume target {target!r} must be an absolute container path")
    port_bindings = _port_bindings(args)
    host_config: dict[str, Any] = {
        "PortBindings": port_bindings,
        "Binds": [f"{source}:{target}" for source, target in sorted(args.volumes.items())],
        "Mounts": [
            {"Type": m.type, "Source": m.source, "Target": m.target, "ReadOnly": m.read_only}
            for m in args.mounts
        ],
        "RestartPolicy": {"Name": "" if args.restart_policy == "no" else args.restart_policy},
        "Privileged": args.privileged,
        "CapAdd": args.cap_add or None,
        "NetworkMode": args.network_mode or args.network or "default",
        "PidMode": args.pid_mode,
        "IpcMode": args.ipc_mode,
        "UTSMode": args.uts_mode,
        "UsernsMode": args.userns_mode,
        "Devices": [_device(d) for d in args.devices] or None,
        "SecurityOpt": args.security_opt or None,
        "VolumesFrom": args.volumes_from or None,
        "NanoCpus": int(args.cpus * 1e9) if args.cpus else None,
        "Memory": _bytes(args.memory) if args.memory else None,
    }
    return {
        "image": args.image,
        "command": _command(args),
        "environment": [f"{k}={v}" for k, v in sorted(args.env.items())],
        "labels": args.labels,
        "ports": [(int(k.split("/")[0]), k.split("/")[1]) for k in port_bindings],
        "host_config": {k: v for k, v in host_config.items() if v not in (None, [], {})},
        "detach": True,
    }


def _command(args: RunContainerInput) -> list[str] | None:
    return shlex.split(args.command) if isinstance(args.command, str) else args.command


def run_command(args: RunContainerInput) -> str:
    """The equivalent `docker run` a person would type (secret-looking env values hidden)."""
    argv = ["docker", "run", "-d", *(["--name", args.name] if args.name else [])]
    argv += [a for host, inside in sorted(args.ports.items()) for a in ("-p", f"{host}:{inside}")]
    argv += [a for src, dst in sorted(args.volumes.items()) for a in ("-v", f"{src}:{dst}")]
    if args.restart_policy != "no":
        argv += ["--restart", args.restart_policy]
    if args.cpus:
        argv += ["--cpus", str(args.cpus)]
    if args.memory:
        argv += ["--memory", args.memory]
    if args.network:
        argv += ["--network", args.network]
    if args.privileged:
        argv.append("--privileged")
    argv += [f"--cap-add={c}" for c in args.cap_add]
    for flag, value in (
        ("--network", args.network_mode), ("--pid", args.pid_mode), ("--ipc", args.ipc_mode),
        ("--uts", args.uts_mode), ("--userns", args.userns_mode),
    ):  # fmt: skip
        if value:
            argv.append(f"{flag}={value}")
    argv += [f"--device={d}" for d in args.devices]
    argv += [f"--security-opt={o}" for o in args.security_opt]
    argv += [f"--volumes-from={v}" for v in args.volumes_from]
    env = [f"{k}={v}" for k, v in sorted(args.env.items())]
    argv += [arg for item in redact_env(env) for arg in ("-e", item)]
    argv += [arg for k, v in sorted(args.labels.items()) for arg in ("-l", f"{k}={v}")]
    return shlex.join([*argv, args.image, *(_command(args) or [])])


def _port_taken(records: list[ContainerRecord], payload: dict[str, Any]) -> str | None:
    for key, bindings in payload["host_config"].get("PortBindings", {}).items():
        proto = key.split("/")[1]
        for binding in bindings:
            port = binding["HostPort"]
            for r in records:
                if r.state == "running" and any(
                    p.split("->")[0].endswith(f":{port}") and p.endswith(f"/{proto}")
                    for p in r.ports
                ):
                    return f"host port {port} is already published by {r.name}"
    return None


def _plan_run(ctx: ToolContext, args: RunContainerInput) -> ActionPlan:
    payload = run_payload(args)
    summary = f"Run a new container {args.name or ''} from {args.image}".replace("  ", " ")
    command = run_command(args)
    # Denials first: what the engine would be sent is judged before anything that can fail
    # for other reasons (a missing image, a name in use).
    violations = ctx.docker.checker().container_create(ctx.docker.create_body(payload))
    if violations:
        return ActionPlan(summary, command, violations=[str(v) for v in violations])
    try:
        image: dict[str, Any] | None = ctx.docker.inspect_image(args.image)
    except ImageNotFound:
        image = None  # `docker run` pulls it: so does this plan, as part of the same approval
    records = ctx.docker.container_records(all=True)
    if args.name and any(r.name == args.name for r in records):
        raise Conflict(f"a container named {args.name!r} already exists; pick another name")
    taken = _port_taken(records, payload)
    if taken:
        raise Conflict(taken)
    if image is None:
        image_target = Target(kind="image", id=f"ref:{args.image}", name=args.image,
                              detail={"pull": True})  # fmt: skip
        impact = [f"pulls {args.image} (not on host {ctx.docker.host}), then runs it"]
    else:
        repo_digests = image.get("RepoDigests") or []
        image_target = Target(
            kind="image",
            id=str(image["Id"]),
            name=args.image,
            labels=(image.get("Config") or {}).get("Labels") or {},
            detail={"digest": repo_digests[0] if repo_digests else None},
        )
        impact = []
    impact += [f"creates container {args.name or '(random name)'} from {args.image}"]
    impact += [f"publishes {h} -> {c}" for h, c in sorted(args.ports.items())]
    impact += [f"mounts {s} at {t}" for s, t in sorted(args.volumes.items())]
    return ActionPlan(summary, command, [image_target], impact, payload=payload)


def _device(spec: str) -> dict[str, str]:
    host, _, rest = spec.partition(":")
    inside, _, perms = rest.partition(":")
    return {
        "PathOnHost": host,
        "PathInContainer": inside or host,
        "CgroupPermissions": perms or "rwm",
    }


def _bytes(memory: str) -> int:
    units = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    unit = memory[-1].lower()
    return int(memory[:-1]) * units[unit] if unit in units else int(memory)


@tool(Risk.CHANGE, RunContainerInput, _plan_run)
def run_container(ctx: ToolContext, args: RunContainerInput, plan: ActionPlan) -> ActionResult:
    """Deploy a new container (detached), pulling its image first if missing: name, ports,
    env, volumes, restart policy, cpu/memory limits, labels, command. privileged, added
    capabilities, host namespaces, devices and sensitive mounts are refused."""
    payload = dict(plan.payload)
    pulled = ""
    if plan.targets and plan.targets[0].detail.get("pull"):
        image = ctx.docker.pull(args.image)  # a registry that does not have it: a clear error
        pulled = f"pulled {args.image} ({str(image.get('Id', ''))[7:19]}); "
    container_id = ctx.docker.create_and_start(args.name, payload)
    state = wait_for_state(ctx.docker, container_id, "running", 1.0)
    return ActionResult(
        message=f"{pulled}started {args.name or container_id[:12]} from {args.image}",
        command=plan.command,
        targets=[container_id],
        state=state,
    )


# --- destructive -----------------------------------------------------------------------------


def _plan_remove(ctx: ToolContext, args: RemoveContainerInput) -> ActionPlan:
    plan = _plan_container(
        ctx, args.container, "Remove container", ["rm", *(["-f"] if args.force else [])]
    )
    target = _target(plan)
    if target.detail["state"] in ("running", "restarting", "paused") and not args.force:
        raise Conflict(
            f"{target.name} is {target.detail['state']}; stop it first or remove with force=true"
        )
    plan.impact.append("the container and its writable layer are deleted; named volumes stay")
    return plan


@tool(Risk.DESTRUCTIVE, RemoveContainerInput, _plan_remove)
def remove_container(
    ctx: ToolContext, args: RemoveContainerInput, plan: ActionPlan
) -> ActionResult:
    """Delete a container (force=true also kills it if running)."""
    target = _target(plan)
    ctx.docker.remove(target.id, force=args.force)
    return ActionResult(
        message=f"removed {target.name}", command=plan.command, targets=[target.id], state="removed"
    )


def _plan_exec(ctx: ToolContext, args: ExecInContainerInput) -> ActionPlan:
    command = shlex.split(args.command) if isinstance(args.command, str) else args.command
    if not command:
        raise InvalidArguments("command is empty")
    workdir = ["-w", args.workdir] if args.workdir else []
    plan = _plan_container(ctx, args.container, "Run a command in", ["exec", *workdir])
    target = _target(plan)
    if target.detail["state"] != "running":
        raise Conflict(f"{target.name} is {target.detail['state']}; exec needs it running")
    plan.command = shlex.join(["docker", "exec", *workdir, target.name, *command])
    plan.summary = f"Run `{shlex.join(command)}` in {target.name} ({target.id[:12]})"
    plan.impact.append("runs an arbitrary command inside the container")
    plan.payload = {"command": command}
    return plan


@tool(Risk.DESTRUCTIVE, ExecInContainerInput, _plan_exec)
def exec_in_container(
    ctx: ToolContext, args: ExecInContainerInput, plan: ActionPlan
) -> ActionResult:
    """Run a non-interactive command inside a running container; returns its output."""
    target = _target(plan)
    code, output, truncated = ctx.docker.exec(
        target.id, plan.payload["command"], args.workdir, args.timeout
    )
    message = (
        f"command exited with {code}" if code is not None
        else f"command still running after {args.timeout}s; stopped waiting (it may keep "
        "running in the container)"
    )  # fmt: skip
    return ActionResult(
        ok=code == 0,
        message=message + (" (output truncated)" if truncated else ""),
        command=plan.command,
        targets=[target.id],
        output=output,
        exit_code=code,
    )
