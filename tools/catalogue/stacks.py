"""Swarm stacks from compose projects: deploy and remove, through the same compose guard."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

from tools.catalogue import ToolContext, tool
from tools.catalogue.compose import _image_targets, _project, _resolved_config
from tools.compose_cli import ComposeFailed
from tools.errors import EngineTimeout, NotFound
from tools.guard.compose_config import compose_violations, notable_options
from tools.guard.policy import Risk
from tools.labels import SWARM_STACK
from tools.manager import cap_text
from tools.plan import ActionPlan, Target
from tools.schemas import ActionResult, StackDeployInput, StackRemoveInput

TIMEOUT = 180.0


def _services(ctx: ToolContext, stack: str) -> list[dict[str, Any]]:
    return ctx.docker.services(filters={"label": f"{SWARM_STACK}={stack}"})


def _service_target(service: dict[str, Any]) -> Target:
    spec = service.get("Spec") or {}
    return Target(
        kind="service",
        id=str(service["ID"]),
        name=str(spec.get("Name", "")),
        labels=spec.get("Labels") or {},
        detail={"image": ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get(
            "Image", "").split("@")[0]},
    )  # fmt: skip


def _docker(
    ctx: ToolContext, argv: list[str], stdin: str | None = None, roots: list[Path] | None = None
) -> str:
    try:
        done = ctx.docker.run_cli(
            ["docker", *argv], timeout=TIMEOUT, stdin=stdin, extra_roots=roots or []
        )
    except subprocess.TimeoutExpired as exc:
        raise EngineTimeout(f"`docker {argv[0]} {argv[1]}` took over {TIMEOUT:.0f}s") from exc
    except FileNotFoundError as exc:
        raise ComposeFailed("the docker CLI is not installed; stacks need it") from exc
    output = cap_text((done.stdout + done.stderr).strip(), ctx.docker.output_bytes_max)[0]
    if done.returncode != 0:
        raise ComposeFailed(f"`docker {' '.join(argv[:2])}` failed: {output[-800:]}")
    return output


def _plan_deploy(ctx: ToolContext, args: StackDeployInput) -> ActionPlan:
    project = _project(ctx, args.project)
    stack = args.stack or project.name
    text, config = _resolved_config(ctx, project)
    services: dict[str, Any] = config["services"]
    existing = _services(ctx, stack)
    return ActionPlan(
        summary=f"Deploy stack {stack} from compose project {project.name}",
        command=shlex.join(["docker", "stack", "deploy", "-c", str(project.file), stack]),
        targets=[_service_target(s) for s in existing] + _image_targets(ctx, services,
                                                                        sorted(services)),
        impact=[f"service {stack}_{name}: image {(svc or {}).get('image', '?')}"
                for name, svc in sorted(services.items())]
        + ([f"updates {len(existing)} existing service(s)"] if existing else [])
        + notable_options(config, sorted(services)),
        violations=compose_violations(
            config, ctx.docker.checker(), project.name, project.directory
        ),
        payload={"config": text, "stack": stack, "directory": str(project.directory)},
    )  # fmt: skip


@tool(Risk.CHANGE, StackDeployInput, _plan_deploy, needs="swarm")
def stack_deploy(ctx: ToolContext, args: StackDeployInput, plan: ActionPlan) -> ActionResult:
    """Deploy (or update) a swarm stack from a configured compose project; its configuration
    passes the same checks as run_container."""
    stack = plan.payload["stack"]
    output = _docker(
        ctx, ["stack", "deploy", "-c", "-", stack], stdin=plan.payload["config"],
        roots=[Path(plan.payload["directory"])],
    )  # fmt: skip
    services = _services(ctx, stack)
    return ActionResult(
        message=f"stack {stack} deployed: {len(services)} service(s)",
        command=plan.command,
        targets=[str(s["ID"]) for s in services],
        output=output,
    )


def _plan_remove(ctx: ToolContext, args: StackRemoveInput) -> ActionPlan:
    services = _services(ctx, args.stack)
    if not services:
        raise NotFound(f"no stack named {args.stack!r} on host {ctx.docker.host}")
    targets = [_service_target(s) for s in services]
    return ActionPlan(
        summary=f"Remove stack {args.stack} ({len(services)} services)",
        command=shlex.join(["docker", "stack", "rm", args.stack]),
        targets=targets,
        impact=[f"removes service {t.name} ({t.detail['image']})" for t in targets],
    )


@tool(Risk.DESTRUCTIVE, StackRemoveInput, _plan_remove, needs="swarm")
def stack_remove(ctx: ToolContext, args: StackRemoveInput, plan: ActionPlan) -> ActionResult:
    """Remove a swarm stack and all its services."""
    output = _docker(ctx, ["stack", "rm", args.stack])
    return ActionResult(
        message=f"stack {args.stack} removed",
        command=plan.command,
        targets=[t.id for t in plan.targets],
        output=output,
    )
