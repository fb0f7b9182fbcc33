"""Image tools: list, pull, remove, and prune (stopped containers, dangling images, networks)."""

from __future__ import annotations

import shlex

from tools.catalogue import ToolContext, tool
from tools.catalogue.containers import container_target
from tools.errors import ImageNotFound
from tools.guard.policy import Risk
from tools.plan import ActionPlan, Target
from tools.schemas import (
    ActionResult,
    ImageSummary,
    ListImagesInput,
    PruneInput,
    PullImageInput,
    RemoveImageInput,
)

BUILTIN_NETWORKS = {"bridge", "host", "none", "ingress", "docker_gwbridge"}


@tool(Risk.READ, ListImagesInput)
def list_images(ctx: ToolContext, args: ListImagesInput, plan: ActionPlan) -> list[ImageSummary]:
    """List local images with tags and sizes."""
    return ctx.docker.list_images(args.name)


def _plan_pull(ctx: ToolContext, args: PullImageInput) -> ActionPlan:
    try:
        current = ctx.docker.inspect_image(args.image)
        target = Target("image", str(current["Id"]), args.image, detail={"present": True})
        impact = [f"{args.image} is present locally ({str(current['Id'])[7:19]}); may be updated"]
    except ImageNotFound:
        target = Target("image", f"ref:{args.image}", args.image, detail={"present": False})
        impact = [f"{args.image} is not present locally; it will be downloaded"]
    return ActionPlan(
        summary=f"Pull image {args.image}",
        command=shlex.join(["docker", "pull", args.image]),
        targets=[target],
        impact=impact,
    )


@tool(Risk.CHANGE, PullImageInput, _plan_pull)
def pull_image(ctx: ToolContext, args: PullImageInput, plan: ActionPlan) -> ActionResult:
    """Download an image from its registry."""
    image = ctx.docker.pull(args.image)
    return ActionResult(
        message=f"pulled {args.image}",
        command=plan.command,
        targets=[str(image["Id"])],
        details={"digests": image.get("RepoDigests") or []},
    )


def _plan_remove_image(ctx: ToolContext, args: RemoveImageInput) -> ActionPlan:
    image = ctx.docker.inspect_image(args.image)
    image_id = str(image["Id"])
    users = [r for r in ctx.docker.container_records(all=True) if r.image_id == image_id]
    plan = ActionPlan(
        summary=f"Remove image {args.image} ({image_id[7:19]})",
        command=shlex.join(["docker", "rmi", *(["-f"] if args.force else []), args.image]),
        targets=[Target("image", image_id, args.image, detail={"tags": image.get("RepoTags")})],
        impact=[f"deletes {', '.join(image.get('RepoTags') or [image_id[7:19]])}"],
    )
    if users:
        plan.impact.append("used by containers: " + ", ".join(r.name for r in users))
        # Removing an image under a protected container is changing that container.
        plan.targets += [container_target(r) for r in users]
    return plan


@tool(Risk.DESTRUCTIVE, RemoveImageInput, _plan_remove_image)
def remove_image(ctx: ToolContext, args: RemoveImageInput, plan: ActionPlan) -> ActionResult:
    """Delete a local image."""
    deleted = ctx.docker.remove_image(plan.targets[0].id, args.force)
    return ActionResult(
        message=f"removed image {args.image}",
        command=plan.command,
        targets=[plan.targets[0].id],
        details={"deleted": len(deleted)},
    )


def plan_prune(ctx: ToolContext, args: PruneInput) -> ActionPlan:
    """Exact targets, so the approval covers these IDs and nothing that stops later."""
    targets: list[Target] = []
    skipped: list[str] = []

    def add(target: Target) -> None:
        # Skip protected objects of every kind up front: one protected object among the
        # targets would otherwise make the policy deny the whole prune.
        if ctx.policy is not None and ctx.policy.protection_reason(target):
            skipped.append(target.name)
        else:
            targets.append(target)

    records = ctx.docker.container_records(all=True)
    if args.containers:
        for record in records:
            if record.state in ("exited", "created", "dead"):
                add(container_target(record))
    if args.images:
        for image in ctx.docker.image_records(dangling=True):
            image_id = str(image["Id"])
            add(Target("image", image_id, image_id[7:19], image.get("Labels") or {}))
    if args.networks:
        used = {n for r in records for n in r.networks}
        for net in ctx.docker.network_records():
            name = net.get("Name", "")
            if name not in BUILTIN_NETWORKS and name not in used and net.get("Scope") == "local":
                add(Target("network", str(net["Id"]), name, net.get("Labels") or {}))
    kinds = [k for k, on in (("containers", args.containers), ("images", args.images),
                             ("networks", args.networks)) if on]  # fmt: skip
    impact = [f"removes {t.kind} {t.name}" for t in targets] or ["nothing to remove"]
    if skipped:
        impact.append("skips protected: " + ", ".join(skipped))
    argv = [
        *(["docker container prune -f"] if args.containers else []),
        *(["docker image prune -f"] if args.images else []),
        *(["docker network prune -f"] if args.networks else []),
    ]
    return ActionPlan(
        summary=f"Prune {', '.join(kinds)}: {len(targets)} to remove",
        command=" && ".join(argv),
        targets=targets,
        impact=impact,
    )


@tool(Risk.DESTRUCTIVE, PruneInput, plan_prune)
def prune(ctx: ToolContext, args: PruneInput, plan: ActionPlan) -> ActionResult:
    """Remove stopped containers, dangling images and unused networks (protected ones stay)."""
    removed: list[str] = []
    failed: list[str] = []
    for target in plan.targets:
        try:
            if target.kind == "container":
                ctx.docker.remove(target.id)
            elif target.kind == "image":
                ctx.docker.remove_image(target.id, force=False)
            else:
                ctx.docker.remove_network(target.id)
            removed.append(f"{target.kind}:{target.name}")
        except Exception as exc:  # one stubborn object must not hide what else was removed
            failed.append(f"{target.kind}:{target.name}: {exc}")
    return ActionResult(
        ok=not failed,
        message=f"removed {len(removed)} objects" + (f", {len(failed)} failed" if failed else ""),
        command=plan.command,
        targets=[t.id for t in plan.targets],
        details={"removed": removed, "failed": failed},
    )
