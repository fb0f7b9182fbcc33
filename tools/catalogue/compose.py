"""Compose project tools: ps, logs, up, down, restart.

A project is a directory (directly under, or equal to, a configured compose directory) with a
compose file; its name is the directory name. State changes go through the Compose CLI, reads
and restarts through the engine API. Before `up`, the resolved configuration is judged by the
same guard as run_container, and exactly that checked configuration is what `up` runs (it is
fed to the CLI on stdin, and the approval is bound to it).
"""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, Field

from tools.catalogue import ToolContext, tool
from tools.catalogue.containers import container_target
from tools.compose_cli import (
    ComposeCli,
    ComposeFailed,
    ComposeProject,
    ComposeUnavailable,
    detect_cli,
    find_projects,
    get_project,
    run_compose,
    shown_command,
)
from tools.errors import Conflict, ImageNotFound, InvalidArguments, NotFound, PolicyDenied
from tools.guard.compose_config import compose_violations, notable_options, raw_file_problems
from tools.guard.policy import Risk
from tools.labels import COMPOSE_PROJECT, COMPOSE_SERVICE
from tools.manager import ContainerRecord, cap_text
from tools.plan import ActionPlan, Target
from tools.schemas import (
    ActionResult,
    ComposeDownInput,
    ComposeLogsInput,
    ComposePsInput,
    ComposeRestartInput,
    ComposeUpInput,
)

CONFIG_TIMEOUT = 60.0
CHANGE_TIMEOUT = 300.0  # up/down: the engine stops containers with their own grace periods
RESTART_TIMEOUT = 10
T = TypeVar("T")


# --- results ------------------------------------------------------------------------------------


class ComposeContainer(BaseModel):
    id: str
    name: str
    service: str
    state: str
    status: str
    image: str
    ports: list[str] = Field(default_factory=list)


class ComposeProjectSummary(BaseModel):
    name: str
    state: str  # running | partly running | stopped | not created
    containers: int
    running: int
    configured: bool  # False: seen on the engine only; the tools cannot operate it
    directory: str | None = None
    file: str | None = None


class ComposePsResult(BaseModel):
    project: str
    directory: str
    file: str
    services: list[str]
    containers: list[ComposeContainer]


class ComposeLogsResult(BaseModel):
    project: str
    containers: list[str]
    lines: int
    truncated: bool
    text: str


class ComposeActionResult(ActionResult):
    project: str
    containers: list[ComposeContainer] = Field(default_factory=list)


# --- helpers ------------------------------------------------------------------------------------


def _project(ctx: ToolContext, name: str) -> ComposeProject:
    return get_project(ctx.compose_dirs, name)


def _records(ctx: ToolContext, project: str) -> list[ContainerRecord]:
    """The project's containers, stopped ones included: one engine round trip."""
    records = ctx.docker.container_records(
        all=True, filters={"label": [f"{COMPOSE_PROJECT}={project}"]}
    )
    return sorted(records, key=lambda r: (r.labels.get(COMPOSE_SERVICE, ""), r.name))


def _of_service(
    records: list[ContainerRecord], project: str, service: str | None
) -> list[ContainerRecord]:
    if not records:
        raise NotFound(f"compose project {project!r} has no containers; bring it up first")
    if service is None:
        return records
    chosen = [r for r in records if r.labels.get(COMPOSE_SERVICE) == service]
    if not chosen:
        services = sorted({r.labels.get(COMPOSE_SERVICE, "?") for r in records})
        raise NotFound(
            f"project {project!r} has no containers for service {service!r}; "
            f"its services: {', '.join(services)}"
        )
    return chosen


def _container(record: ContainerRecord) -> ComposeContainer:
    return ComposeContainer(
        id=record.id[:12],
        name=record.name,
        service=record.labels.get(COMPOSE_SERVICE, ""),
        state=record.state,
        status=record.status,
        image=record.image,
        ports=record.ports,
    )


def _container_lines(records: list[ContainerRecord]) -> list[str]:
    return [
        f"{r.name} ({r.id[:12]}), service {r.labels.get(COMPOSE_SERVICE, '?')}, is {r.state}"
        for r in records
    ]


def _file_services(project: ComposeProject) -> list[str]:
    """Service names as written in the file (best effort: the file may not parse)."""
    try:
        data = yaml.safe_load(project.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    services = data.get("services") if isinstance(data, dict) else None
    return sorted(str(s) for s in services) if isinstance(services, dict) else []


def _count(items: list[Any]) -> str:
    return f"{len(items)} container" + ("" if len(items) == 1 else "s")


def _state(total: int, running: int) -> str:
    if total == 0:
        return "not created"
    if running == total:
        return "running"
    return "partly running" if running else "stopped"


def _port_text(port: Any) -> str:
    if isinstance(port, dict):  # Compose v2 long syntax
        host = ":".join(str(p) for p in (port.get("host_ip"), port.get("published")) if p)
        inside = f"{port.get('target')}/{port.get('protocol') or 'tcp'}"
        return f"{host}->{inside}" if host else inside
    text = str(port)
    host, sep, inside = text.rpartition(":")
    return f"{host}->{inside}" if sep else text


def _volume_text(volume: Any) -> str:
    if isinstance(volume, dict):
        source = volume.get("source") or "(anonymous)"
        return f"{volume.get('type', 'volume')} {source}:{volume.get('target')}"
    return str(volume)


def raw_problems(project: ComposeProject) -> list[str]:
    """Host files the file as written would make the CLI read from outside the project."""
    try:
        raw = yaml.safe_load(project.file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # `config` reports the error in its own words
    return raw_file_problems(raw, project.directory)


def _resolved_config(ctx: ToolContext, project: ComposeProject) -> tuple[str, dict[str, Any]]:
    """`config` output: the file with variables, extends and relative paths resolved. A file
    that would read host files from outside its project is refused before the CLI reads it."""
    problems = raw_problems(project)
    if problems:
        raise PolicyDenied(f"compose project {project.name} is refused: " + "; ".join(problems))
    cli = detect_cli()
    text = run_compose(
        cli, project, ["config"], docker=ctx.docker, timeout=CONFIG_TIMEOUT
    ).stdout
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ComposeFailed(f"`{cli.display} config` for {project.name} printed no YAML") from exc
    if not isinstance(config, dict) or not isinstance(config.get("services"), dict):
        raise InvalidArguments(f"compose project {project.name!r} defines no services")
    return text, config


def _dependencies(services: dict[str, Any], chosen: list[str]) -> list[str]:
    """The chosen services and those `up SERVICE` would start with them."""
    wanted: set[str] = set()
    queue = list(chosen)
    while queue:
        name = queue.pop()
        if name in wanted or name not in services:
            continue
        wanted.add(name)
        service = services[name] or {}
        depends = service.get("depends_on") or []
        queue += list(depends) if isinstance(depends, (list, dict)) else []
        queue += [str(link).split(":")[0] for link in service.get("links") or []]
        for ref in [*(service.get("volumes_from") or []), service.get("network_mode") or ""]:
            text = str(ref)
            if text.startswith("service:"):
                queue.append(text.split(":")[1])
            elif ":" not in text and text in services:
                queue.append(text)
    return sorted(wanted)


def _image_targets(ctx: ToolContext, services: dict[str, Any], names: list[str]) -> list[Target]:
    """Each image the services run, by ID (an approval is bound to the exact image). Like
    run_container, images must already be on the host: `up` never pulls or builds."""
    targets: dict[str, Target] = {}
    for name in names:
        service = services[name] or {}
        image = service.get("image")
        if not image:
            raise InvalidArguments(
                f"service {name} has no image to run; DockerDeployer does not build images"
            )
        try:
            found = ctx.docker.inspect_image(str(image))
        except ImageNotFound:
            how = "build it" if service.get("build") else "pull it (pull_image)"
            raise ImageNotFound(
                f"service {name}: image {image} is not on host {ctx.docker.host}; {how} first"
            ) from None
        digests = found.get("RepoDigests") or []
        targets[str(found["Id"])] = Target(
            kind="image",
            id=str(found["Id"]),
            name=str(image),
            labels=(found.get("Config") or {}).get("Labels") or {},
            detail={"digest": digests[0] if digests else None},
        )
    return list(targets.values())


def _cli_or_default() -> ComposeCli:
    """For showing the equivalent command of work done through the engine API."""
    try:
        return detect_cli()
    except ComposeUnavailable:
        return ComposeCli(("docker", "compose"), "docker compose", "")


# --- read ---------------------------------------------------------------------------------------


@tool(Risk.READ, ComposePsInput, needs="compose")
def compose_ps(
    ctx: ToolContext, args: ComposePsInput, plan: ActionPlan
) -> ComposePsResult | list[ComposeProjectSummary]:
    """Without project: the compose projects you can operate and which are running. With
    project: its containers (service, state, ports)."""
    if args.project is not None:
        project = _project(ctx, args.project)
        records = _records(ctx, project.name)
        return ComposePsResult(
            project=project.name,
            directory=str(project.directory),
            file=project.file.name,
            services=_file_services(project),
            containers=[_container(r) for r in records],
        )
    records = ctx.docker.container_records(all=True, filters={"label": COMPOSE_PROJECT})
    counts: dict[str, list[int]] = {}
    for record in records:
        total_running = counts.setdefault(record.labels.get(COMPOSE_PROJECT, ""), [0, 0])
        total_running[0] += 1
        total_running[1] += record.state == "running"
    def summary(name: str, project: ComposeProject | None) -> ComposeProjectSummary:
        total, running = counts.pop(name, [0, 0])
        return ComposeProjectSummary(
            name=name,
            state=_state(total, running),
            containers=total,
            running=running,
            configured=project is not None,
            directory=str(project.directory) if project else None,
            file=project.file.name if project else None,
        )

    summaries = [summary(name, p) for name, p in find_projects(ctx.compose_dirs).items()]
    # Projects the engine runs that no configured directory holds: shown, not operable.
    summaries += [summary(name, None) for name in sorted(counts)]
    return summaries


def _plan_logs(ctx: ToolContext, args: ComposeLogsInput) -> ActionPlan:
    project = _project(ctx, args.project)
    records = _of_service(_records(ctx, project.name), project.name, args.service)
    return ActionPlan(summary="read", targets=[container_target(r) for r in records])


@tool(Risk.READ, ComposeLogsInput, _plan_logs, needs="compose", private=True)
def compose_logs(ctx: ToolContext, args: ComposeLogsInput, plan: ActionPlan) -> ComposeLogsResult:
    """Recent log lines of a compose project's containers (or one service's), each line
    prefixed with its container."""
    tail = min(args.tail, ctx.log_tail_max)
    chunks, count = [], 0
    for target in plan.targets:
        text, lines, _ = ctx.docker.logs(target.id, tail)
        count += lines
        chunks += [f"{target.name} | {line}" for line in text.splitlines()]
    text, truncated = cap_text("\n".join(chunks), ctx.docker.output_bytes_max)
    return ComposeLogsResult(
        project=args.project,
        containers=[t.name for t in plan.targets],
        lines=count,
        truncated=truncated,
        text=text,
    )


# --- change -------------------------------------------------------------------------------------


def _plan_up(ctx: ToolContext, args: ComposeUpInput) -> ActionPlan:
    project = _project(ctx, args.project)
    cli = detect_cli()
    text, config = _resolved_config(ctx, project)
    services: dict[str, Any] = config["services"]
    if args.service is not None and args.service not in services:
        raise InvalidArguments(
            f"project {project.name!r} has no service {args.service!r}; "
            f"its services: {', '.join(sorted(services))}"
        )
    names = _dependencies(services, [args.service] if args.service else sorted(services))
    impact = [f"compose project {project.name} from {project.file} ({cli.display} {cli.version})"]
    for name in names:
        service = services[name] or {}
        line = f"service {name}: image {service.get('image', '?')}"
        ports = [_port_text(p) for p in service.get("ports") or []]
        volumes = [_volume_text(v) for v in service.get("volumes") or []]
        if ports:
            line += "; publishes " + ", ".join(ports)
        if volumes:
            line += "; mounts " + ", ".join(volumes)
        impact.append(line)
    for kind in ("networks", "volumes"):
        declared = sorted(str(k) for k in config.get(kind) or {})
        if declared:
            impact.append(f"{kind} (created if missing): " + ", ".join(declared))
    notable = notable_options(config, names)
    if notable:
        impact.append("options beyond image, ports and mounts (check them):")
        impact += ["  " + line for line in notable]
    records = _records(ctx, project.name)
    if records:
        impact.append("existing containers compose may recreate or start:")
        impact += ["  " + line for line in _container_lines(records)]
    targets = _image_targets(ctx, services, names)
    argv = ["up", "-d", "--no-build", *([args.service] if args.service else [])]
    return ActionPlan(
        summary=f"Bring up compose project {project.name}"
        + (f" (service {args.service})" if args.service else ""),
        command=shown_command(cli, project, argv),
        targets=[container_target(r) for r in records] + targets,
        impact=impact,
        violations=compose_violations(
            config, ctx.docker.checker(), project.name, project.directory
        ),
        # What runs is this exact checked text; an edited file changes it and voids approvals.
        payload={"argv": argv, "config": text},
    )


@tool(Risk.CHANGE, ComposeUpInput, _plan_up, needs="compose")
def compose_up(ctx: ToolContext, args: ComposeUpInput, plan: ActionPlan) -> ComposeActionResult:
    """Create and start a compose project's containers (or one service and what it depends
    on), detached, from local images. Its configuration passes the same checks as
    run_container: privileged, host namespaces, devices and sensitive mounts are refused."""
    project = _project(ctx, args.project)
    run = run_compose(
        detect_cli(),
        project,
        plan.payload["argv"],
        docker=ctx.docker,
        timeout=CHANGE_TIMEOUT,
        stdin=plan.payload["config"],
    )
    records = _records(ctx, project.name)
    running = sum(r.state == "running" for r in records)
    return ComposeActionResult(
        ok=running == len(records) and bool(records),
        message=f"project {project.name} is up: {running} of {len(records)} containers running",
        command=plan.command,
        targets=[r.id for r in records],
        output=run.output(ctx.docker.output_bytes_max),
        project=project.name,
        containers=[_container(r) for r in records],
    )


def _down_risk(args: ComposeDownInput) -> Risk:
    return Risk.DESTRUCTIVE if args.volumes else Risk.CHANGE


def _plan_down(ctx: ToolContext, args: ComposeDownInput) -> ActionPlan:
    project = _project(ctx, args.project)
    cli = detect_cli()
    records = _records(ctx, project.name)
    label = {"label": f"{COMPOSE_PROJECT}={project.name}"}
    networks = ctx.docker.network_records(filters=label)
    volumes: list[dict[str, Any]] = []
    if args.volumes:
        volumes = sorted(ctx.docker.volume_records(filters=label), key=lambda v: v["Name"])
    if not records and not networks and not volumes:
        raise Conflict(f"compose project {project.name!r} is not up: nothing to take down")
    impact = [f"removes {line}" for line in _container_lines(records)]
    impact += [f"removes network {n['Name']}" for n in networks]
    if args.volumes:
        impact += [f"deletes volume {v['Name']} and all its data" for v in volumes]
        impact.append("also deletes the containers' anonymous volumes")
    else:
        impact.append("named volumes are kept")
    argv = ["down", "--remove-orphans", *(["-v"] if args.volumes else [])]
    volume_targets = [
        Target(kind="volume", id=v["Name"], name=v["Name"], labels=v.get("Labels") or {})
        for v in volumes
    ]
    return ActionPlan(
        summary=f"Take down compose project {project.name}"
        + (" and delete its volumes" if args.volumes else ""),
        command=shown_command(cli, project, argv),
        targets=[container_target(r) for r in records] + volume_targets,
        impact=impact,
        payload={"argv": argv},
    )


@tool(Risk.CHANGE, ComposeDownInput, _plan_down, risk_of=_down_risk, needs="compose")
def compose_down(ctx: ToolContext, args: ComposeDownInput, plan: ActionPlan) -> ComposeActionResult:
    """Stop and remove a compose project's containers and networks. volumes=true also
    deletes its volumes and their data (destructive)."""
    project = _project(ctx, args.project)
    run = run_compose(
        detect_cli(),
        project,
        plan.payload["argv"],
        docker=ctx.docker,
        timeout=CHANGE_TIMEOUT,
    )
    left = _records(ctx, project.name)
    removed = [t.id for t in plan.targets if t.kind == "container"]
    return ComposeActionResult(
        ok=not left,
        message=f"project {project.name} is down: removed {_count(removed)}"
        + (f"; {len(left)} still there" if left else ""),
        command=plan.command,
        targets=[t.id for t in plan.targets],
        state="removed" if not left else None,
        output=run.output(ctx.docker.output_bytes_max),
        project=project.name,
        containers=[_container(r) for r in left],
    )


def _plan_restart(ctx: ToolContext, args: ComposeRestartInput) -> ActionPlan:
    project = _project(ctx, args.project)
    records = _of_service(_records(ctx, project.name), project.name, args.service)
    cli = _cli_or_default()
    argv = ["restart", *([args.service] if args.service else [])]
    what = f"service {args.service} of " if args.service else ""
    return ActionPlan(
        summary=f"Restart {what}compose project {project.name} ({_count(records)})",
        command=shown_command(cli, project, argv),
        targets=[container_target(r) for r in records],
        impact=[f"restarts {line}" for line in _container_lines(records)],
    )


@tool(Risk.CHANGE, ComposeRestartInput, _plan_restart, needs="compose")
def compose_restart(
    ctx: ToolContext, args: ComposeRestartInput, plan: ActionPlan
) -> ComposeActionResult:
    """Restart a compose project's containers, or only one service's."""
    for target in plan.targets:
        ctx.docker.restart(target.id, RESTART_TIMEOUT)
    records = {r.id: r for r in _records(ctx, args.project)}
    after = [records[t.id] for t in plan.targets if t.id in records]
    running = sum(r.state == "running" for r in after)
    return ComposeActionResult(
        ok=running == len(plan.targets),
        message=f"restarted {_count(plan.targets)} of {args.project}; {running} running",
        command=plan.command,
        targets=[t.id for t in plan.targets],
        project=args.project,
        containers=[_container(r) for r in after],
    )
