"""Swarm service tools: list, scale, update, roll back, restart (force update), logs.

They act on the engine a call names, which must be a swarm manager. Every change is an update
of the service spec fetched just before it, so nothing the change does not name is reset; the
engine's own rolling update (and its update/rollback config) then replaces the tasks.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shlex
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from tools.catalogue import ToolContext, tool
from tools.engine_client import EngineClient
from tools.errors import (
    Conflict,
    EngineError,
    ErrorCode,
    ImageNotFound,
    InvalidArguments,
    NotFound,
)
from tools.guard.allowlist import Violation
from tools.guard.boundary import existing_service_violations
from tools.guard.policy import Risk
from tools.labels import SWARM_PREFIX, SWARM_TASK_ID
from tools.manager import cap_text, redact_env
from tools.plan import ActionPlan, Target
from tools.schemas import (
    ActionResult,
    ListServicesInput,
    RestartServiceInput,
    RollbackServiceInput,
    ScaleServiceInput,
    ServiceLogsInput,
    ServiceSummary,
    UpdateServiceInput,
)

_ENV_KEY = re.compile(r"^[^=\s]+$")
_UPDATE_ATTEMPTS = 3  # a spec update races the orchestrator's own writes (update status)


class ServiceNotFound(NotFound):
    code = ErrorCode.SERVICE_NOT_FOUND


class ServiceLogsResult(BaseModel):
    service: str
    lines: int
    truncated: bool
    text: str


@dataclass
class ServiceRecord:
    """One service as `/services` returns it: enough to resolve, list and preview."""

    id: str
    name: str
    spec: dict[str, Any]
    previous_spec: dict[str, Any] | None
    updated: str
    update_state: str | None

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> ServiceRecord:
        spec = raw.get("Spec") or {}
        return cls(
            id=str(raw["ID"]),
            name=str(spec.get("Name") or raw["ID"]),
            spec=spec,
            previous_spec=raw.get("PreviousSpec"),
            updated=str(raw.get("UpdatedAt") or "")[:19],
            update_state=(raw.get("UpdateStatus") or {}).get("State"),
        )

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.spec.get("Labels") or {})

    @property
    def image(self) -> str:
        return image_of(self.spec)

    @property
    def mode(self) -> str:
        return mode_of(self.spec)

    @property
    def replicas(self) -> int | None:
        return replicas_of(self.spec)

    def summary(self, running: int, host: str) -> ServiceSummary:
        return ServiceSummary(
            id=self.id[:12],
            name=self.name,
            image=self.image,
            mode=self.mode,
            replicas=self.replicas,
            running=running,
            updated=self.updated,
            host=host,
        )


def _container_spec(spec: dict[str, Any]) -> dict[str, Any]:
    return dict((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {})


def image_of(spec: dict[str, Any]) -> str:
    """The image as people wrote it: a pinned digest (`img:tag@sha256:...`) is dropped."""
    return str(_container_spec(spec).get("Image") or "").split("@")[0]


def env_of(spec: dict[str, Any]) -> list[str]:
    return list(_container_spec(spec).get("Env") or [])


def mode_of(spec: dict[str, Any]) -> str:
    """Replicated -> 'replicated', GlobalJob -> 'global-job'."""
    key = next(iter(spec.get("Mode") or {"Replicated": {}}))
    return key.replace("Job", "-job").lower()


def replicas_of(spec: dict[str, Any]) -> int | None:
    replicated = (spec.get("Mode") or {}).get("Replicated")
    return int(replicated.get("Replicas") or 0) if replicated is not None else None


def _services(ctx: ToolContext) -> list[ServiceRecord]:
    """One `/services` round trip."""
    return [ServiceRecord.from_api(raw) for raw in ctx.docker.services()]


def resolve_service(ref: str, records: list[ServiceRecord]) -> ServiceRecord:
    """Name, full ID or unique ID prefix -> the service; else 'did you mean'."""
    for record in records:
        if ref in (record.name, record.id):
            return record
    matches = [r for r in records if r.id.startswith(ref.lower())]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InvalidArguments(
            f"ID prefix {ref!r} matches {len(matches)} services; give more characters"
        )
    names = [r.name for r in records]
    close = difflib.get_close_matches(ref, names, n=3, cutoff=0.5)
    close += [n for n in names if ref.lower() in n.lower() and n not in close]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else "."
    raise ServiceNotFound(f"No swarm service named {ref!r}{hint}")


def service_target(record: ServiceRecord) -> Target:
    return Target(
        kind="service",
        id=record.id,
        name=record.name,
        labels=record.labels,
        detail={"image": record.image, "mode": record.mode, "replicas": record.replicas},
    )


def _resolve(ctx: ToolContext, ref: str) -> tuple[ServiceRecord, Target]:
    record = resolve_service(ref, _services(ctx))
    return record, service_target(record)


def _carried(ctx: ToolContext, record: ServiceRecord) -> list[Violation]:
    """Options of a service made outside the assistant that it refuses: an update keeps its
    spec, so only an admin's approved call may carry them over (never add one)."""
    return existing_service_violations(ctx.docker.checker(), record.spec)


def _describe(record: ServiceRecord) -> str:
    scale = f"{record.replicas} replica(s)" if record.replicas is not None else record.mode
    state = f", update {record.update_state}" if record.update_state else ""
    return f"{record.name} ({record.id[:12]}) runs {record.image}, {scale}{state}"


def _rollout(spec: dict[str, Any], key: str = "UpdateConfig") -> str:
    """How the engine will replace tasks, in the words of `docker service update --help`."""
    config = spec.get(key) or {}
    parallelism = config.get("Parallelism", 1)
    batch = "all at once" if parallelism == 0 else f"{parallelism} at a time"
    order = config.get("Order") or "stop-first"
    return f"tasks are replaced {batch}, {order}"


def _update(
    manager: EngineClient,
    service_id: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[str]:
    """Update a service from its current spec: `change(spec)` gives the SDK's update_service
    arguments. Retries when the orchestrator wrote the service meanwhile (out of sequence)."""
    for attempt in range(_UPDATE_ATTEMPTS):
        current = manager.inspect_service(service_id)
        try:
            result = manager.update_service(
                service_id, int(current["Version"]["Index"]), **change(current["Spec"])
            )
        except EngineError as exc:
            if "out of sequence" in exc.message and attempt + 1 < _UPDATE_ATTEMPTS:
                continue
            raise
        return list(result.get("Warnings") or [])
    raise AssertionError("unreachable")


def _result(plan: ActionPlan, message: str, warnings: list[str], **details: Any) -> ActionResult:
    target = plan.targets[0]
    if warnings:
        details["warnings"] = warnings
    return ActionResult(
        message=message,
        command=plan.command,
        targets=[target.id],
        state="updating",
        details=details,
    )


# --- read -------------------------------------------------------------------------------------


@tool(Risk.READ, ListServicesInput, needs="swarm")
def list_services(
    ctx: ToolContext, args: ListServicesInput, plan: ActionPlan
) -> list[ServiceSummary]:
    """List Swarm services with image, mode, desired replicas and running tasks."""
    services = _services(ctx)
    # One tasks call for every service, not one per service.
    tasks = ctx.docker.tasks(filters={"desired-state": "running"})
    running = Counter(
        t.get("ServiceID") for t in tasks if (t.get("Status") or {}).get("State") == "running"
    )
    services.sort(key=lambda r: r.name)
    return [r.summary(running[r.id], ctx.docker.host) for r in services]


def _plan_read(ctx: ToolContext, args: ServiceLogsInput) -> ActionPlan:
    _, target = _resolve(ctx, args.service)
    return ActionPlan(summary="read", targets=[target])


@tool(Risk.READ, ServiceLogsInput, _plan_read, needs="swarm", private=True)
def service_logs(ctx: ToolContext, args: ServiceLogsInput, plan: ActionPlan) -> ServiceLogsResult:
    """Recent log lines of a Swarm service's tasks."""
    target = plan.targets[0]
    tail = min(args.tail, ctx.log_tail_max)
    tasks = ctx.docker.tasks(filters={"service": target.id})
    tty = any(((t.get("Spec") or {}).get("ContainerSpec") or {}).get("TTY") for t in tasks)
    data = ctx.docker.service_logs(target.id, tail=tail, is_tty=bool(tty))
    slots = {
        str(t["ID"]): f"{target.name}.{t.get('Slot') or str(t.get('NodeID', ''))[:12]}"
        for t in tasks
    }
    lines = [_label_line(line, slots) for line in data.decode("utf-8", "replace").splitlines()]
    lines = lines[-tail:]  # `tail` applies per task on the engine side
    text, truncated = cap_text("\n".join(lines), ctx.docker.output_bytes_max)
    return ServiceLogsResult(service=target.name, lines=len(lines), truncated=truncated, text=text)


def _label_line(line: str, slots: dict[str, str]) -> str:
    """'com.docker.swarm.node.id=..,com.docker.swarm.task.id=T msg' -> 'name.slot | msg'."""
    if not line.startswith(SWARM_PREFIX):
        return line
    details, _, message = line.partition(" ")
    fields = dict(part.partition("=")[::2] for part in details.split(","))
    task = fields.get(SWARM_TASK_ID, "")
    return f"{slots.get(task, task[:12])} | {message}"


# --- change -----------------------------------------------------------------------------------


def _plan_scale(ctx: ToolContext, args: ScaleServiceInput) -> ActionPlan:
    record, target = _resolve(ctx, args.service)
    if record.replicas is None:
        raise InvalidArguments(
            f"{record.name} is a {record.mode} service; only replicated services scale"
        )
    change = args.replicas - record.replicas
    effect = (
        f"starts {change} task(s)" if change > 0
        else f"stops {-change} task(s)" if change < 0
        else "no change in the number of tasks"
    )  # fmt: skip
    return ActionPlan(
        summary=(
            f"Scale service {record.name} ({record.id[:12]}) "
            f"from {record.replicas} to {args.replicas} replicas"
        ),
        command=shlex.join(["docker", "service", "scale", f"{record.name}={args.replicas}"]),
        targets=[target],
        impact=[_describe(record), f"{record.replicas} -> {args.replicas} replicas: {effect}"],
        carried=_carried(ctx, record),
    )


@tool(Risk.CHANGE, ScaleServiceInput, _plan_scale, needs="swarm")
def scale_service(ctx: ToolContext, args: ScaleServiceInput, plan: ActionPlan) -> ActionResult:
    """Set the number of replicas of a replicated Swarm service."""
    target = plan.targets[0]
    warnings = _update(
        ctx.docker, target.id, lambda spec: {"mode": {"Replicated": {"Replicas": args.replicas}}}
    )
    return _result(
        plan,
        f"scaling {target.name} to {args.replicas} replicas; the swarm converges in the "
        "background (list_services shows running tasks)",
        warnings,
        replicas=args.replicas,
    )


def _merged_env(current: list[str], wanted: dict[str, str]) -> list[str]:
    """Set `wanted` in `current`, keeping order and every other variable."""
    merged = [
        f"{key}={wanted[key]}" if key in wanted else item
        for item in current
        for key in [item.partition("=")[0]]
    ]
    present = {item.partition("=")[0] for item in current}
    merged += [f"{k}={v}" for k, v in wanted.items() if k not in present]
    return merged


def _image_target(ctx: ToolContext, image: str) -> Target:
    """The new image by ID when this node has it (a swarm node pulls it otherwise)."""
    try:
        found = ctx.docker.inspect_image(image)
    except ImageNotFound:
        return Target("image", f"ref:{image}", image, detail={"present": False})
    digests = found.get("RepoDigests") or []
    return Target(
        "image",
        str(found["Id"]),
        image,
        labels=(found.get("Config") or {}).get("Labels") or {},
        detail={"present": True, "digest": digests[0] if digests else None},
    )


def _plan_update(ctx: ToolContext, args: UpdateServiceInput) -> ActionPlan:
    if args.image is None and not args.env and args.replicas is None:
        raise InvalidArguments("nothing to update: give image, env or replicas")
    bad = [k for k in args.env or {} if not _ENV_KEY.match(k)]
    if bad:
        raise InvalidArguments(f"env name {bad[0]!r} is not a variable name (no '=' or spaces)")
    record, target = _resolve(ctx, args.service)
    if args.replicas is not None and record.replicas is None:
        raise InvalidArguments(
            f"{record.name} is a {record.mode} service; replicas apply to replicated services"
        )
    current_env = dict(item.partition("=")[::2] for item in env_of(record.spec))
    env = {k: v for k, v in (args.env or {}).items() if current_env.get(k) != v}
    image = args.image if args.image and args.image != record.image else None
    replicas = args.replicas if args.replicas != record.replicas else None
    if image is None and not env and replicas is None:
        raise InvalidArguments(
            f"{record.name} already has that image, env and replicas; nothing to update "
            "(restart_service replaces its tasks)"
        )
    argv = ["docker", "service", "update"]
    impact = [_describe(record)]
    targets = [target]
    if image:
        argv += ["--image", image]
        impact.append(f"image {record.image} -> {image}")
        targets.append(_image_target(ctx, image))
        if not targets[-1].detail["present"]:
            impact.append(f"{image} is not on this node; each node must pull it")
    for item in redact_env(f"{k}={v}" for k, v in sorted(env.items())):
        argv += ["--env-add", item]
        key = item.partition("=")[0]
        impact.append(f"sets {item}" + (" (was set)" if key in current_env else " (new)"))
    if replicas is not None:
        argv += ["--replicas", str(replicas)]
        impact.append(f"{record.replicas} -> {replicas} replicas")
    if image or env:
        impact.append(f"a rolling update: {_rollout(record.spec)}")
    argv.append(record.name)
    return ActionPlan(
        summary=f"Update service {record.name} ({record.id[:12]})",
        command=shlex.join(argv),
        targets=targets,
        impact=impact,
        payload={"image": image, "env": sorted(env), "replicas": replicas},
        carried=_carried(ctx, record),
    )


@tool(Risk.CHANGE, UpdateServiceInput, _plan_update, needs="swarm")
def update_service(ctx: ToolContext, args: UpdateServiceInput, plan: ActionPlan) -> ActionResult:
    """Update a Swarm service's image, env and/or replicas (rolling; the rest of its spec is
    kept)."""
    target = plan.targets[0]
    image, replicas = plan.payload["image"], plan.payload["replicas"]
    env = {k: (args.env or {})[k] for k in plan.payload["env"]}

    def change(spec: dict[str, Any]) -> dict[str, Any]:
        container: dict[str, Any] = {}
        if image:
            container["Image"] = image
        if env:
            container["Env"] = _merged_env(env_of(spec), env)
        kwargs: dict[str, Any] = {}
        if container:
            kwargs["task_template"] = {"ContainerSpec": container}
        if replicas is not None:
            kwargs["mode"] = {"Replicated": {"Replicas": replicas}}
        return kwargs

    warnings = _update(ctx.docker, target.id, change)
    done = [f"image {image}"] if image else []
    done += [f"env {', '.join(sorted(env))}"] if env else []
    done += [f"{replicas} replicas"] if replicas is not None else []
    return _result(
        plan,
        f"updating {target.name}: {'; '.join(done)} (rolling; rollback_service undoes it)",
        warnings,
        image=image,
        env=sorted(env),
        replicas=replicas,
    )


def _spec_digest(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


def _plan_rollback(ctx: ToolContext, args: RollbackServiceInput) -> ActionPlan:
    record, target = _resolve(ctx, args.service)
    previous = record.previous_spec
    if not previous:
        raise Conflict(f"{record.name} has no previous version to roll back to (never updated)")
    impact = [_describe(record)]
    if image_of(previous) != record.image:
        impact.append(f"image {record.image} -> {image_of(previous)}")
    if replicas_of(previous) != record.replicas:
        impact.append(f"{record.replicas} -> {replicas_of(previous)} replicas")
    before = dict(item.partition("=")[::2] for item in env_of(record.spec))
    after = dict(item.partition("=")[::2] for item in env_of(previous))
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        impact.append("env changes back: " + ", ".join(changed))
    impact.append(f"{_rollout(record.spec, 'RollbackConfig')} (rollback config)")
    return ActionPlan(
        summary=f"Roll back service {record.name} ({record.id[:12]}) to its previous spec",
        command=shlex.join(["docker", "service", "rollback", record.name]),
        targets=[target],
        impact=impact,
        # Bound to the exact spec it returns to: if another update lands first, ask again.
        payload={"previous_spec": _spec_digest(previous)},
        carried=_carried(ctx, record),
    )


@tool(Risk.CHANGE, RollbackServiceInput, _plan_rollback, needs="swarm")
def rollback_service(
    ctx: ToolContext, args: RollbackServiceInput, plan: ActionPlan
) -> ActionResult:
    """Roll a Swarm service back to its previous spec (undo the last update)."""
    target = plan.targets[0]
    for attempt in range(_UPDATE_ATTEMPTS):
        current = ctx.docker.inspect_service(target.id)
        try:
            result = ctx.docker.rollback_service(
                target.id, current["Spec"], int(current["Version"]["Index"])
            )
        except EngineError as exc:
            if "out of sequence" in exc.message and attempt + 1 < _UPDATE_ATTEMPTS:
                continue
            raise
        previous = image_of(current.get("PreviousSpec") or {})
        return _result(
            plan,
            f"rolling back {target.name} to its previous spec (image {previous})",
            list(result.get("Warnings") or []),
            image=previous,
        )
    raise AssertionError("unreachable")


def _plan_restart(ctx: ToolContext, args: RestartServiceInput) -> ActionPlan:
    record, target = _resolve(ctx, args.service)
    return ActionPlan(
        summary=f"Restart service {record.name} ({record.id[:12]}): replace all its tasks",
        command=shlex.join(["docker", "service", "update", "--force", record.name]),
        targets=[target],
        impact=[_describe(record), f"every task is replaced; {_rollout(record.spec)}"],
        carried=_carried(ctx, record),
    )


@tool(Risk.CHANGE, RestartServiceInput, _plan_restart, needs="swarm")
def restart_service(ctx: ToolContext, args: RestartServiceInput, plan: ActionPlan) -> ActionResult:
    """Restart a Swarm service: replace all its tasks with fresh ones (force update)."""
    target = plan.targets[0]

    def force(spec: dict[str, Any]) -> dict[str, Any]:
        count = int((spec.get("TaskTemplate") or {}).get("ForceUpdate") or 0)
        return {"task_template": {"ForceUpdate": count + 1}}

    warnings = _update(ctx.docker, target.id, force)
    return _result(plan, f"restarting {target.name}: its tasks are being replaced", warnings)
