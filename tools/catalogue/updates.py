"""Image updates: recreate a container with a new image, health-check it, roll back on failure."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tools.catalogue import ToolContext, tool
from tools.catalogue.containers import _impact, container_target
from tools.engine_client import EngineClient
from tools.errors import Conflict, DockerDeployerError, EngineError, ErrorCode, ImageNotFound
from tools.guard.boundary import carrying, existing_container_violations
from tools.guard.policy import Risk
from tools.manager import cap_text, split_image
from tools.plan import ActionPlan, Target
from tools.recreate import clone_config, extra_networks
from tools.schemas import ActionResult, CheckImageUpdateInput, UpdateContainerImageInput

STABLE_SECONDS = 3.0  # without a HEALTHCHECK: it must stay running this long


class UpdateRolledBack(DockerDeployerError):
    code = ErrorCode.UPDATE_ROLLED_BACK


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _new_ref(current: str, wanted: str | None) -> str:
    """'api:v2' as given; ':v2' or 'v2' alone keeps the current repository."""
    if not wanted:
        return current
    if wanted.startswith(":"):
        return f"{split_image(current)[0]}:{wanted[1:]}"
    return wanted


def _plan_update(ctx: ToolContext, args: UpdateContainerImageInput) -> ActionPlan:
    records = ctx.docker.container_records(all=True)
    record = ctx.docker.resolve_container(args.container, records)
    info = ctx.docker.inspect_raw(record.id)
    current_ref = str(info["Config"]["Image"])
    new_ref = _new_ref(current_ref, args.image)
    try:
        new_image: dict[str, Any] | None = ctx.docker.inspect_image(new_ref)
    except ImageNotFound:
        new_image = None  # pulled at execution if a registry answers
    if new_image is not None and args.image and new_image["Id"] == info["Image"]:
        raise Conflict(f"{record.name} already runs {new_ref} ({_short(info['Image'])})")
    try:
        old_image = ctx.docker.inspect_image(str(info["Image"]))
    except ImageNotFound:
        old_image = {}
    create = clone_config(info, old_image, new_ref)
    # A recreate may carry the old container's options over unchanged (an admin's call where
    # the allow-list refuses them), never add or widen one; its host binds stay where they are.
    checker = ctx.docker.checker()
    carried = existing_container_violations(checker, info) + checker.labels(
        "Labels", create.get("labels")
    )
    keep_binds = _bind_sources(info)
    allowed = {v.key for v in carried}
    violations = [
        str(v)
        for v in checker.container_create(ctx.docker.create_body(create), keep_binds)
        if v.key not in allowed
    ]
    new_id = str(new_image["Id"]) if new_image else f"ref:{new_ref}"
    impact = [
        f"recreates {record.name}: {current_ref} ({_short(info['Image'])}) -> {new_ref} "
        f"({_short(new_id) if new_image else 'pulled first'})",
        "keeps name, env, ports, volumes, networks, labels and restart policy",
        f"waits up to {args.health_timeout}s for it to be healthy (or stay running); "
        "on failure the previous container is restored",
        *_impact(record, records)[1:],
    ]
    return ActionPlan(
        summary=f"Update {record.name} ({record.id[:12]}) to {new_ref}",
        command=f"docker pull {new_ref} && recreate {record.name} with {new_ref} "
        "(docker stop/rename/run, same options), roll back on failure",
        targets=[container_target(record), Target("image", new_id, new_ref)],
        impact=impact,
        violations=violations,
        payload={"new_ref": new_ref, "create": create, "keep_binds": [str(p) for p in keep_binds]},
        carried=carried,
    )


def _bind_sources(info: dict[str, Any]) -> list[Path]:
    """The host paths an existing container binds: a recreate may bind exactly these again."""
    return [Path(str(m["Source"])) for m in info.get("Mounts") or [] if m.get("Type") == "bind"]


def _pull_or_local(docker: EngineClient, ref: str) -> dict[str, Any]:
    try:
        return docker.pull(ref)
    except ImageNotFound:
        raise
    except DockerDeployerError:
        return docker.inspect_image(ref)  # no registry: a local tag is the update


def _wait_healthy(docker: EngineClient, container_id: str, timeout: float) -> str | None:
    """None when healthy (or stably running); otherwise why not."""
    deadline = time.monotonic() + timeout
    running_since: float | None = None
    while time.monotonic() < deadline:
        info = docker.inspect_raw(container_id)
        state = info["State"]
        health = (state.get("Health") or {}).get("Status")
        if state.get("Status") in ("exited", "dead"):
            return f"it exited with code {state.get('ExitCode')}"
        if state.get("Restarting") or info.get("RestartCount"):
            # A restart policy hides the exit behind a restart (and resets the exit code).
            return f"it keeps exiting (restarted {info.get('RestartCount', 0)} times)"
        if health == "healthy":
            return None
        if health == "unhealthy":
            return "its health check failed"
        if health is None and state.get("Status") == "running":
            running_since = running_since or time.monotonic()
            if time.monotonic() - running_since >= min(STABLE_SECONDS, timeout):
                return None
        else:
            running_since = None
        time.sleep(0.25)
    return f"it was not healthy within {timeout:.0f}s"


@tool(Risk.CHANGE, UpdateContainerImageInput, _plan_update)
def update_container_image(
    ctx: ToolContext, args: UpdateContainerImageInput, plan: ActionPlan
) -> ActionResult:
    """Update a container to a new image tag (or refresh its tag), keeping its configuration;
    checks health afterwards and automatically rolls back on failure."""
    docker = ctx.docker
    target = plan.targets[0]
    name, old_id = target.name, target.id
    new_ref = plan.payload["new_ref"]
    started = time.monotonic()
    new_image = _pull_or_local(docker, new_ref)
    if new_image["Id"] == target.detail["image_id"]:
        return ActionResult(
            message=f"{name} is already up to date ({new_ref} {_short(new_image['Id'])})",
            command=plan.command, targets=[old_id], state=target.detail["state"],
            details={"up_to_date": True},
        )  # fmt: skip
    info = docker.inspect_raw(old_id)
    was_running = bool(info["State"].get("Running"))
    backup = f"{name}-rollback-{int(time.time())}"
    docker.rename(old_id, backup)
    if was_running:
        docker.stop(old_id, timeout=10)
    new_id: str | None = None
    keep_binds = [Path(p) for p in plan.payload.get("keep_binds") or []]
    try:
        with carrying(extra_roots=keep_binds):
            new_id = docker.create(name, plan.payload["create"])
        for network, aliases in extra_networks(info).items():
            docker.connect(network, new_id, aliases or None)
        docker.start(new_id)
        failure = _wait_healthy(docker, new_id, args.health_timeout)
    except DockerDeployerError as exc:
        failure = exc.message
    if failure is None:
        docker.remove(old_id)
        return ActionResult(
            message=f"updated {name} to {new_ref} ({_short(new_image['Id'])}); healthy after "
            f"{time.monotonic() - started:.1f}s; previous container removed",
            command=plan.command, targets=[str(new_id)], state="running",
            details={"old_image": target.detail["image_id"], "new_image": new_image["Id"],
                     "seconds": round(time.monotonic() - started, 1)},
        )  # fmt: skip
    logs = ""
    if new_id is not None:
        logs = _tail(docker, new_id)
        docker.remove(new_id, force=True)
    try:
        docker.rename(old_id, name)
        if was_running:
            docker.start(old_id)
    except DockerDeployerError as exc:
        raise EngineError(
            f"update of {name} failed ({failure}) and ROLLBACK FAILED ({exc.message}); "
            f"the previous container is kept as {backup}"
        ) from exc
    raise UpdateRolledBack(
        f"update of {name} to {new_ref} failed: {failure}. Rolled back: {name} runs "
        f"{info['Config']['Image']} again." + (f" Last output: {logs}" if logs else "")
    )


def _tail(docker: EngineClient, container_id: str) -> str:
    try:
        text, _, _ = docker.logs(container_id, tail=10)
    except DockerDeployerError:
        return ""
    return cap_text(text, 1500)[0].strip()


@tool(Risk.READ, CheckImageUpdateInput)
def check_image_update(
    ctx: ToolContext, args: CheckImageUpdateInput, plan: ActionPlan
) -> dict[str, Any]:
    """Is there a newer image for a container? Compares the running image with the local tag
    and, when a registry answers, with the registry's digest."""
    record = ctx.docker.resolve_container(args.container)
    info = ctx.docker.inspect_raw(record.id)
    ref = str(info["Config"]["Image"])
    running = str(info["Image"])
    try:
        local = str(ctx.docker.inspect_image(ref)["Id"])
    except ImageNotFound:
        local = None
    try:
        remote = ctx.docker.inspect_distribution(ref)
        registry_digest: str | None = remote["Descriptor"]["digest"]
    except DockerDeployerError:
        registry_digest = None
    repo_digests = ctx.docker.inspect_image(running).get("RepoDigests") or [] if local else []
    newer_in_registry = (
        None if registry_digest is None
        else not any(d.endswith(registry_digest) for d in repo_digests)
    )  # fmt: skip
    newer_local = local is not None and local != running
    verdict = (
        f"a newer {ref} is available locally ({_short(local or '')})" if newer_local
        else "a newer image is in the registry" if newer_in_registry
        else f"{record.name} runs the current {ref}"
        + ("" if registry_digest else " (registry not reachable: local tag compared only)")
    )  # fmt: skip
    return {
        "container": record.name,
        "image": ref,
        "running_image": _short(running),
        "local_tag_image": _short(local) if local else None,
        "registry_digest": registry_digest,
        "newer_local": newer_local,
        "newer_in_registry": newer_in_registry,
        "message": verdict,
    }
