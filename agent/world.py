"""What the offline planner knows about the deployment when it plans a request: containers on
every host, local image tags, host names, swarm services, compose projects. Read live, per
request (a handful of engine calls), so names resolve against what exists now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.planner import ContainerBrief, ServiceBrief
from tools.compose_cli import find_projects
from tools.errors import DockerDeployerError
from tools.gateway import ToolGateway
from tools.labels import SWARM_STACK


@dataclass
class PlannerWorld:
    containers: list[ContainerBrief] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    hosts: tuple[str, ...] = ()
    services: list[ServiceBrief] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)


def _service(raw: dict[str, Any]) -> ServiceBrief:
    spec = raw.get("Spec") or {}
    image = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", "")
    replicas = ((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas")
    return ServiceBrief(
        name=str(spec.get("Name", "")),
        image=str(image).split("@")[0],
        replicas=replicas,
        stack=(spec.get("Labels") or {}).get(SWARM_STACK, ""),
    )


def read_world(gateway: ToolGateway, features: frozenset[str]) -> PlannerWorld:
    world = PlannerWorld(hosts=tuple(gateway.managers))
    tags: set[str] = set()
    for host, manager in gateway.managers.items():
        try:
            records = manager.container_records(all=True)
            tags.update(t for image in manager.image_records() for t in image.get("RepoTags") or [])
        except DockerDeployerError:
            continue  # a host that is down: its names cannot be resolved right now
        world.containers += [
            ContainerBrief(name=r.name, image=r.image, state=r.state, id=r.id, labels=r.labels,
                           host=host)
            for r in records
        ]  # fmt: skip
    world.images = sorted(tags - {"<none>:<none>"})
    if "swarm" in features:
        for host in gateway.swarm_hosts():
            try:
                raw = gateway.managers[host].services()
            except DockerDeployerError:
                continue
            world.services += [_service(s) for s in raw]
    if "compose" in features:
        world.projects = sorted(find_projects(gateway.compose_dirs))
    return world
