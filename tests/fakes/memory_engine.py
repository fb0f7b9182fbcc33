"""An in-memory engine implementing the `EngineClient` protocol, for unit tests.

It keeps containers and images in dictionaries and judges creates with the real allow-list
(`Checker`), so the catalogue, gateway, approvals and the offline planner run without Docker.
Integration tests never use it: they talk to a real dockerd.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from tools.engine import Diagnosis
from tools.errors import ContainerNotFound, EngineError, ImageNotFound
from tools.guard.allowlist import Checker, Lookups, Rules, Violation
from tools.guard.boundary import BoundaryDenied, existing_container_violations
from tools.logstream import LogFollow
from tools.manager import ContainerRecord, not_found_message
from tools.schemas import ContainerDetail, ContainerSummary, ImageSummary, SystemInfo

_IDS = itertools.count(1)


def _new_id() -> str:
    return f"{next(_IDS):064x}"


@dataclass
class MemoryContainer:
    id: str
    name: str
    image: str
    state: str = "running"
    labels: dict[str, str] = field(default_factory=dict)
    host_config: dict[str, Any] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    exit_code: int = 0

    def record(self) -> ContainerRecord:
        return ContainerRecord.from_api(
            {"Id": self.id, "Names": [f"/{self.name}"], "Image": self.image,
             "ImageID": f"sha256:{self.image}", "State": self.state, "Status": self.state,
             "Created": 0, "Labels": self.labels}
        )  # fmt: skip

    def inspect(self) -> dict[str, Any]:
        return {
            "Id": self.id, "Name": f"/{self.name}", "Image": f"sha256:{self.image}",
            "State": {"Status": self.state, "Running": self.state == "running",
                      "ExitCode": self.exit_code},
            "Config": {"Image": self.image, "Labels": self.labels, "Env": []},
            "HostConfig": self.host_config, "Mounts": [], "RestartCount": 0,
        }  # fmt: skip


class MemoryEngine:
    """One named host held in memory; `calls` records every operation, in order."""

    output_bytes_max = 32_000

    def __init__(self, host: str = "local", rules: Rules | None = None) -> None:
        self._host = host
        self.rules = rules or Rules()
        self.containers: dict[str, MemoryContainer] = {}
        self.images: set[str] = set()
        self.calls: list[str] = []

    # --- test set-up ---------------------------------------------------------------------------

    def add(self, name: str, image: str = "busybox:1", **fields: Any) -> MemoryContainer:
        container = MemoryContainer(_new_id(), name, image, **fields)
        self.containers[container.id] = container
        self.images.add(image)
        return container

    # --- protocol ------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    def diagnose(self) -> Diagnosis:
        return Diagnosis(reachable=True, host=f"memory://{self._host}", version="memory")

    def checker(self) -> Checker:
        return Checker(self.rules, Lookups(container=self._inspect_or_none))

    def carried_options(self, container_id: str) -> list[Violation]:
        return existing_container_violations(self.checker(), self.inspect_raw(container_id))

    def _inspect_or_none(self, ref: str) -> dict[str, Any] | None:
        found = [c for c in self.containers.values() if ref in (c.id, c.name)]
        return found[0].inspect() if found else None

    def _get(self, container_id: str) -> MemoryContainer:
        try:
            return self.containers[container_id]
        except KeyError:
            raise ContainerNotFound(f"No container {container_id!r}.") from None

    def container_records(
        self, all: bool = True, filters: dict[str, Any] | None = None
    ) -> list[ContainerRecord]:
        self.calls.append("container_records")
        records = [c.record() for c in self.containers.values() if all or c.state == "running"]
        name = (filters or {}).get("name")
        return [r for r in records if not name or re.search(str(name), r.name)]

    def list_containers(
        self,
        status: str = "running",
        name: str | None = None,
        label: str | None = None,
        image: str | None = None,
    ) -> list[ContainerSummary]:
        records = self.container_records(all=status != "running")
        return [r.summary(self.host) for r in sorted(records, key=lambda r: r.name)
                if (not name or name in r.name) and (not image or r.image == image)]  # fmt: skip

    def resolve_container(
        self, ref: str, records: list[ContainerRecord] | None = None
    ) -> ContainerRecord:
        records = records if records is not None else self.container_records()
        for record in records:
            if ref in (record.name, record.id) or (len(ref) >= 3 and record.id.startswith(ref)):
                return record
        raise ContainerNotFound(not_found_message(ref, [r.name for r in records]))

    def inspect_container(self, container_id: str) -> ContainerDetail:
        c = self._get(container_id)
        return ContainerDetail(
            id=c.id[:12], full_id=c.id, name=c.name, image=c.image, image_id=c.image,
            state=c.state, status=c.state, ports=[], created="", host=self.host, command="",
            exit_code=c.exit_code, restart_count=0, restart_policy="no", mounts=[], networks=[],
            env=[], labels=c.labels,
        )  # fmt: skip

    def inspect_raw(self, container_id: str) -> dict[str, Any]:
        return self._get(container_id).inspect()

    def logs(
        self, container_id: str, tail: int, since: str | None = None, grep: str | None = None
    ) -> tuple[str, int, bool]:
        lines = self._get(container_id).logs[-tail:]
        lines = [line for line in lines if not grep or grep.lower() in line.lower()]
        return "\n".join(lines), len(lines), False

    def follow_logs(
        self,
        container_id: str,
        tail: int,
        since: str | None,
        grep: str | None,
        *,
        seconds: float,
        max_lines: int,
    ) -> LogFollow:
        """What a stopped container's follow stream gives: its last lines, then the end."""
        text, _, _ = self.logs(container_id, tail, since, grep)
        return LogFollow(iter(text.splitlines()[:max_lines]), lambda: None)

    def _act(self, verb: str, container_id: str, state: str) -> None:
        container = self._get(container_id)
        if verb in ("start", "restart"):
            refused = self.carried_options(container_id)
            if refused:  # like the real boundary: the gateway carries them for an admin only
                from tools.guard.boundary import current_scope

                refused = [v for v in refused if v.key not in current_scope().allowances]
            if refused:
                raise BoundaryDenied(refused, verb)
        self.calls.append(f"{verb} {container.name}")
        container.state = state

    def start(self, container_id: str) -> None:
        self._act("start", container_id, "running")

    def stop(self, container_id: str, timeout: int) -> None:
        self._act("stop", container_id, "exited")

    def restart(self, container_id: str, timeout: int) -> None:
        self._act("restart", container_id, "running")

    def remove(self, container_id: str, force: bool = False) -> None:
        container = self._get(container_id)
        if container.state == "running" and not force:
            raise EngineError("You cannot remove a running container")
        self.calls.append(f"remove {container.name}")
        del self.containers[container_id]

    def state_of(self, container_id: str) -> str:
        return self._get(container_id).state

    def create_body(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"Image": config["image"], "Cmd": config.get("command"),
                "Env": config.get("environment"), "Labels": config.get("labels") or {},
                "HostConfig": config.get("host_config") or {}}  # fmt: skip

    def create(self, name: str | None, config: dict[str, Any]) -> str:
        body = self.create_body(config)
        refused = self.checker().container_create(body)
        if refused:
            raise BoundaryDenied(refused, "container create")
        if config["image"] not in self.images:
            raise ImageNotFound(f"No such image: {config['image']}")
        container = self.add(
            name or f"c{len(self.containers)}", config["image"], state="created",
            labels=dict(body["Labels"]), host_config=body["HostConfig"],
        )  # fmt: skip
        self.calls.append(f"create {container.name}")
        return container.id

    def create_and_start(self, name: str | None, config: dict[str, Any]) -> str:
        container_id = self.create(name, config)
        self.start(container_id)
        return container_id

    def image_records(
        self, name: str | None = None, dangling: bool | None = None
    ) -> list[dict[str, Any]]:
        return [{"Id": f"sha256:{i}", "RepoTags": [i], "Size": 1, "Created": 0}
                for i in sorted(self.images) if not name or i.startswith(name)]  # fmt: skip

    def list_images(self, name: str | None = None) -> list[ImageSummary]:
        return [ImageSummary(id=i["Id"][7:19], tags=i["RepoTags"], size=1, created="")
                for i in self.image_records(name)]  # fmt: skip

    def inspect_image(self, image: str) -> dict[str, Any]:
        if image not in self.images:
            raise ImageNotFound(f"No image {image!r} on host {self.host}; pull it first.")
        return {"Id": f"sha256:{image}", "RepoTags": [image], "RepoDigests": [], "Config": {}}

    def pull(self, image: str) -> dict[str, Any]:
        self.calls.append(f"pull {image}")
        self.images.add(image)
        return self.inspect_image(image)

    def system_info(self) -> SystemInfo:
        running = sum(c.state == "running" for c in self.containers.values())
        return SystemInfo(
            name=self.host, server_version="memory", api_version="1.43", os="memory",
            architecture="x86_64", cpus=2, memory=1, containers=len(self.containers),
            running=running, stopped=len(self.containers) - running, images=len(self.images),
            swarm="inactive",
        )  # fmt: skip

    def inspect_volume(self, name: str) -> dict[str, Any] | None:
        return None

    def volume_records(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return []

    def network_records(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return []

    def events(self, container_id: str, since: Any, until: Any, types: Any) -> list[Any]:
        return []

    def services(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        raise EngineError("This node is not a swarm manager.")

    def run_cli(self, argv: Any, **kwargs: Any) -> Any:
        raise EngineError("the in-memory engine runs no CLI")

    def __getattr__(self, name: str) -> Any:
        """Anything else the protocol has is not needed by the unit tests; say so loudly."""
        raise AttributeError(f"MemoryEngine has no {name}: use an integration test for it")
