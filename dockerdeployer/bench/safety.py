"""Which approvals the bench may grant: only calls on the task's own resources.

The bench approves as an admin, so this is the net under every task: whatever the task says,
a call whose targets reach outside the task (other users' containers, the shared test image,
a registry) is rejected, and the task fails for it when it had asked to approve.
"""

from __future__ import annotations

from typing import Any

from dockerdeployer.bench.scope import TaskScope

# Never granted: pulls would reach a registry; prune and image removal act engine-wide unless
# every target is provably the task's own (checked below).
NEVER_APPROVED = frozenset({"pull_image"})
# Tools whose image targets are only read (the image they run), not changed.
IMAGE_USERS = frozenset({"compose_up"})


def out_of_scope(approval: dict[str, Any], scope: TaskScope) -> str | None:
    """Why the bench must not approve this call, or None when it only touches the task."""
    tool = str(approval.get("tool"))
    args = approval.get("args") or {}
    if tool in NEVER_APPROVED:
        return f"{tool} reaches outside the engine (the bench never pulls)"
    if tool == "run_container":
        name = str(args.get("name") or "")
        if not scope.owns_name(name):
            return (
                f"run_container would create {name or 'an unnamed container'}, "
                f"outside the task's names ({scope.prefix}-*)"
            )
        allowed = {scope.image, *(scope.image_tag(i) for i in scope.image_ids)}
        if args.get("image") not in allowed:
            return f"run_container uses image {args.get('image')!r}, not one of the task's"
        # Host ports are shared with everyone on the machine: only the ones the task uses.
        created = [c for c in scope.task.verify.created if scope.full(c.name) == name]
        wanted = {scope.expand(port) for c in created for port in c.ports.values()}
        wanted |= {scope.expand(port) for port in scope.task.setup.held_ports}  # the bench's own
        asked = {str(host).rsplit(":", 1)[-1] for host in args.get("ports") or {}}
        if asked - wanted:
            return f"run_container would publish host port(s) {', '.join(sorted(asked - wanted))}"
        return None  # its only target is the image it reads
    own_ids = set(scope.container_ids.values()) | set(scope.service_ids.values())
    own_images = set(scope.image_ids.values())
    usable = {scope.image, *(scope.image_tag(i) for i in scope.image_ids)}
    targets = approval.get("targets") or []
    if not targets:
        return f"{tool} names no targets the bench can check"
    for target in targets:
        kind, ident, name = target.get("kind"), str(target.get("id")), str(target.get("name"))
        if kind == "image":
            if ident in own_images or (tool in IMAGE_USERS and name in usable):
                continue
            return f"{tool} targets image {name}, which the task did not build"
        # containers, services, networks, volumes: the task's by ID or by its name prefix
        if ident not in own_ids and not scope.owns_name(name):
            return f"{tool} targets {kind} {name}, which is not the task's"
    return None
