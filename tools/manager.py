"""DockerManager: a thin typed layer over the docker SDK's low-level API.

It talks to `client.api` rather than the SDK's high-level models because `containers.list()`
inspects every container (one round trip each); `/containers/json` already carries what a
listing, a name lookup and an impact preview need, in one round trip.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from tools.engine import Diagnosis, Engine, diagnose, engine_errors
from tools.engine_client import EngineClient
from tools.errors import (
    Conflict,
    ContainerNotFound,
    DockerDeployerError,
    EngineError,
    ErrorCode,
    ImageNotFound,
    InvalidArguments,
    NotFound,
)
from tools.guard.allowlist import Checker, Violation, canonical_roots
from tools.guard.boundary import GuardedAPIClient, existing_container_violations
from tools.guard.engine_proxy import filtering_socket
from tools.logstream import LogFollow, bounded_lines
from tools.progress import follow_pull
from tools.schemas import (
    ContainerDetail,
    ContainerSummary,
    DiskUsage,
    ImageSummary,
    MountInfo,
    NetworkSummary,
    StatsResult,
    SystemInfo,
    VolumeSummary,
)
from tools.timeparse import parse_since

T = TypeVar("T")
# What a spawned CLI inherits from our environment: how to find itself and its config, never
# the server's secrets (a compose file could interpolate them).
CLI_ENV = (
    "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_RUNTIME_DIR", "DOCKER_CONFIG",
    "COMPOSE_HTTP_TIMEOUT",
)  # fmt: skip


class NotSwarmManager(Conflict):
    """A swarm call went to an engine that is not a manager (or not in a swarm)."""

    code = ErrorCode.NOT_SWARM_MANAGER


def cli_env(docker_host: str) -> dict[str, str]:
    """The environment of a CLI pointed at `docker_host` (our filtering socket)."""
    env = {key: os.environ[key] for key in CLI_ENV if key in os.environ}
    env["DOCKER_HOST"] = docker_host
    return env


_SECRET_KEY = re.compile(r"(PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE)", re.IGNORECASE)


@dataclass
class ContainerRecord:
    """One row of `/containers/json`: enough to resolve, list and preview without inspecting."""

    id: str
    name: str
    image: str
    image_id: str
    state: str
    status: str
    created: int
    labels: dict[str, str]
    ports: list[str]
    raw_mounts: list[dict[str, Any]] = field(default_factory=list, repr=False)
    networks: list[str] = field(default_factory=list)

    @property
    def mounts(self) -> list[MountInfo]:
        """Built on demand: a listing of hundreds of containers never needs them."""
        return [
            MountInfo(
                type=m.get("Type", ""),
                source=m.get("Name") or m.get("Source", ""),
                destination=m.get("Destination", ""),
                rw=bool(m.get("RW", True)),
            )
            for m in self.raw_mounts
        ]

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> ContainerRecord:
        names = raw.get("Names") or [raw["Id"][:12]]
        return cls(
            id=raw["Id"],
            name=names[0].lstrip("/"),
            image=raw.get("Image", ""),
            image_id=raw.get("ImageID", ""),
            state=raw.get("State", ""),
            status=raw.get("Status", ""),
            created=int(raw.get("Created", 0)),
            labels=raw.get("Labels") or {},
            ports=format_ports(raw.get("Ports") or []),
            raw_mounts=list(raw.get("Mounts") or []),
            networks=sorted((raw.get("NetworkSettings") or {}).get("Networks") or {}),
        )

    def summary(self, host: str) -> ContainerSummary:
        return ContainerSummary(
            id=self.id[:12],
            name=self.name,
            image=self.image,
            state=self.state,
            status=self.status,
            ports=self.ports,
            created=_iso(self.created),
            host=host,
        )


def _iso(epoch: int | float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def format_ports(ports: Iterable[dict[str, Any]]) -> list[str]:
    """`docker ps` style, IPv4 and IPv6 duplicates folded."""
    seen: list[str] = []
    for port in ports:
        private = f"{port.get('PrivatePort')}/{port.get('Type', 'tcp')}"
        if port.get("PublicPort"):
            ip = port.get("IP") or "0.0.0.0"
            ip = "0.0.0.0" if ip == "::" else ip
            text = f"{ip}:{port['PublicPort']}->{private}"
        else:
            text = private
        if text not in seen:
            seen.append(text)
    return seen


def cap_text(text: str, limit: int) -> tuple[str, bool]:
    """Keep the tail (the newest output matters most) within `limit` bytes."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text, False
    return data[-limit:].decode("utf-8", "ignore"), True


def redact_env(env: Iterable[str]) -> list[str]:
    """Show variable names; hide values that look like secrets."""
    shown = []
    for item in env:
        key, _, value = item.partition("=")
        shown.append(f"{key}=***" if _SECRET_KEY.search(key) and value else item)
    return shown


def redact_args(args: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments as shown to people (approvals, audit): secret-looking env values hidden."""
    env = args.get("env")
    if not isinstance(env, dict):
        return args
    hidden = {k: "***" if _SECRET_KEY.search(str(k)) and v else v for k, v in env.items()}
    return {**args, "env": hidden}


class DockerManager:
    """Docker verbs over one engine. The engine is passed in, never a module global."""

    def __init__(self, engine: Engine, output_bytes_max: int = 32_000) -> None:
        self.engine = engine
        self.output_bytes_max = output_bytes_max

    @property
    def host(self) -> str:
        return self.engine.name

    def diagnose(self) -> Diagnosis:
        return diagnose(self.engine)

    def checker(self) -> Checker:
        """The engine boundary's allow-list with this engine's rules and lookups: plans judge
        exactly what the boundary will judge when the call runs."""
        api = self.engine.api
        if not isinstance(api, GuardedAPIClient) or api.boundary is None:
            raise RuntimeError("engine without its boundary")  # a wiring bug, not user input
        return api.boundary.checker()

    def carried_options(self, container_id: str) -> list[Violation]:
        """Options of an existing container that the assistant would refuse to create."""
        info = self.call(lambda: self.engine.api.inspect_container(container_id))
        return existing_container_violations(self.checker(), info)

    def call(self, fn: Callable[[], T]) -> T:
        """Run one SDK call, its failures translated to readable typed errors (the one error
        path for every engine call, swarm's included)."""
        try:
            with engine_errors(self.engine.host):
                return fn()
        except EngineError as exc:
            if "not a swarm manager" in exc.message.lower():
                raise NotSwarmManager(
                    f"this host ({self.host}) is not a swarm manager; Swarm services are "
                    "managed on a manager node (docker swarm init, or name the manager host)"
                ) from exc
            raise

    # --- containers ---------------------------------------------------------------------------

    def container_records(
        self, all: bool = True, filters: dict[str, Any] | None = None
    ) -> list[ContainerRecord]:
        """One `/containers/json` round trip."""
        raw = self.call(lambda: self.engine.api.containers(all=all, filters=filters or None))
        return [ContainerRecord.from_api(item) for item in raw]

    def list_containers(
        self,
        status: str = "running",
        name: str | None = None,
        label: str | None = None,
        image: str | None = None,
    ) -> list[ContainerSummary]:
        filters: dict[str, Any] = {}
        if status not in ("running", "all"):
            filters["status"] = status
        if name:
            filters["name"] = re.escape(name)
        if label:
            filters["label"] = label
        if image:
            filters["ancestor"] = image
        records = self.container_records(all=status != "running", filters=filters)
        records.sort(key=lambda r: r.name)
        return [r.summary(self.host) for r in records]

    def resolve_container(
        self, ref: str, records: list[ContainerRecord] | None = None
    ) -> ContainerRecord:
        """Name, full ID or unique ID prefix -> the container; else 'did you mean'."""
        records = records if records is not None else self.container_records(all=True)
        ref = ref.lstrip("/")
        for record in records:
            if record.name == ref or record.id == ref:
                return record
        if re.fullmatch(r"[0-9a-f]{3,64}", ref):
            matches = [r for r in records if r.id.startswith(ref)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise InvalidArguments(
                    f"ID prefix {ref!r} matches {len(matches)} containers; give more characters"
                )
        raise ContainerNotFound(not_found_message(ref, [r.name for r in records]))

    def inspect_container(self, container_id: str) -> ContainerDetail:
        raw = self.call(lambda: self.engine.api.inspect_container(container_id))
        state = raw.get("State") or {}
        config = raw.get("Config") or {}
        host_config = raw.get("HostConfig") or {}
        ports: list[dict[str, Any]] = []
        for private, bindings in ((raw.get("NetworkSettings") or {}).get("Ports") or {}).items():
            number, _, proto = private.partition("/")
            for binding in bindings or [{}]:
                ports.append(
                    {
                        "PrivatePort": number,
                        "Type": proto or "tcp",
                        "PublicPort": binding.get("HostPort"),
                        "IP": binding.get("HostIp"),
                    }
                )
        cmd = config.get("Cmd") or []
        entry = config.get("Entrypoint") or []
        created = raw.get("Created", "")
        return ContainerDetail(
            id=raw["Id"][:12],
            full_id=raw["Id"],
            name=raw.get("Name", "").lstrip("/"),
            image=config.get("Image", ""),
            image_id=raw.get("Image", ""),
            state=state.get("Status", ""),
            status=state.get("Status", ""),
            ports=format_ports(ports),
            created=created[:19] if isinstance(created, str) else str(created),
            host=self.host,
            command=" ".join([*entry, *cmd]),
            started_at=(state.get("StartedAt") or "")[:19] or None,
            exit_code=state.get("ExitCode"),
            restart_count=int(raw.get("RestartCount") or 0),
            health=(state.get("Health") or {}).get("Status"),
            restart_policy=(host_config.get("RestartPolicy") or {}).get("Name") or "no",
            mounts=[
                MountInfo(
                    type=m.get("Type", ""),
                    source=m.get("Name") or m.get("Source", ""),
                    destination=m.get("Destination", ""),
                    rw=bool(m.get("RW", True)),
                )
                for m in raw.get("Mounts") or []
            ],
            networks=sorted(((raw.get("NetworkSettings") or {}).get("Networks") or {}).keys()),
            env=redact_env(config.get("Env") or []),
            labels=config.get("Labels") or {},
        )

    def logs(
        self, container_id: str, tail: int, since: str | None = None, grep: str | None = None
    ) -> tuple[str, int, bool]:
        since_epoch = parse_since(since)
        raw = self.call(
            lambda: self.engine.api.logs(
                container_id, stdout=True, stderr=True, tail=tail, since=since_epoch
            )
        )
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        lines = text.splitlines()
        if grep:
            needle = grep.lower()
            lines = [line for line in lines if needle in line.lower()]
        capped, truncated = cap_text("\n".join(lines), self.output_bytes_max)
        return capped, len(lines), truncated

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
        """The last `tail` lines, then new ones as they are written, bounded (see logstream).
        The stream is opened here, so an unknown container fails before the first line."""
        since_epoch = parse_since(since)
        stream = self.call(
            lambda: self.engine.api.logs(
                container_id, stdout=True, stderr=True, stream=True, follow=True, tail=tail,
                since=since_epoch,
            )
        )  # fmt: skip
        lines = bounded_lines(stream, grep=grep, seconds=seconds, max_lines=max_lines)
        return LogFollow(self._translated(lines), stream.close)

    def _translated(self, lines: Iterator[str]) -> Iterator[str]:
        with engine_errors(self.engine.host):
            yield from lines

    def stats(self, container_id: str, name: str) -> StatsResult:
        raw = self.call(lambda: self.engine.api.stats(container_id, stream=False))
        return stats_from_api(name, raw)

    def start(self, container_id: str) -> None:
        self.call(lambda: self.engine.api.start(container_id))

    def stop(self, container_id: str, timeout: int) -> None:
        self.call(lambda: self.engine.api.stop(container_id, timeout=timeout))

    def restart(self, container_id: str, timeout: int) -> None:
        self.call(lambda: self.engine.api.restart(container_id, timeout=timeout))

    def remove(self, container_id: str, force: bool = False) -> None:
        self.call(lambda: self.engine.api.remove_container(container_id, force=force))

    def state_of(self, container_id: str) -> str:
        raw = self.call(lambda: self.engine.api.inspect_container(container_id))
        return str((raw.get("State") or {}).get("Status", "unknown"))

    def create_body(self, config: dict[str, Any]) -> dict[str, Any]:
        """The exact JSON `create_and_start(config)` sends for the container (the SDK builds it)."""
        return dict(self.engine.api.create_container_config(**config))

    def create_and_start(self, name: str | None, config: dict[str, Any]) -> str:
        """Create then start; if start fails (port taken...), remove what was created."""
        created = self.call(lambda: self.engine.api.create_container(name=name, **config))
        container_id = str(created["Id"])
        try:
            self.start(container_id)
        except Exception:
            self.call(lambda: self.engine.api.remove_container(container_id, force=True))
            raise
        return container_id

    def exec(
        self, container_id: str, command: str | list[str], workdir: str | None, timeout: float
    ) -> tuple[int | None, str, bool]:
        """Run a command; stop waiting after `timeout` seconds (exit code None: the engine
        has no way to kill an exec, so it may still run, and the reply must say so)."""
        api = self.engine.api
        created = self.call(
            lambda: api.exec_create(
                container_id, command, stdout=True, stderr=True, workdir=workdir
            )
        )
        stream = self.call(lambda: api.exec_start(created["Id"], stream=True))
        chunks: list[bytes] = []
        finished = threading.Event()

        def pump() -> None:
            size = 0
            try:
                for chunk in stream:
                    if size <= self.output_bytes_max * 2:  # keep the head; drain the rest
                        chunks.append(chunk)
                        size += len(chunk)
            except Exception:  # the stream closed under us after a timeout
                pass
            finally:
                finished.set()

        threading.Thread(target=pump, name="exec-output", daemon=True).start()
        done = finished.wait(timeout)
        if not done:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        output = b"".join(chunks).decode("utf-8", "replace")
        text, truncated = cap_text(output, self.output_bytes_max)
        if not done:
            return None, text, truncated
        code = self.call(lambda: api.exec_inspect(created["Id"])).get("ExitCode")
        return int(code if code is not None else -1), text, truncated

    # --- images, networks, volumes, system ------------------------------------------------------

    def image_records(
        self, name: str | None = None, dangling: bool | None = None
    ) -> list[dict[str, Any]]:
        filters = {"dangling": True} if dangling else None
        return list(self.call(lambda: self.engine.api.images(name=name, filters=filters)))

    def list_images(self, name: str | None = None) -> list[ImageSummary]:
        return [
            ImageSummary(
                id=str(img["Id"]).removeprefix("sha256:")[:12],
                tags=[t for t in img.get("RepoTags") or [] if t != "<none>:<none>"],
                size=int(img.get("Size") or 0),
                created=_iso(int(img.get("Created") or 0)),
            )
            for img in self.image_records(name=name)
        ]

    def inspect_image(self, image: str) -> dict[str, Any]:
        try:
            return dict(self.call(lambda: self.engine.api.inspect_image(image)))
        except ImageNotFound as exc:
            raise ImageNotFound(
                f"No image {image!r} on host {self.host}; pull it first (pull_image)."
            ) from exc

    def pull(self, image: str) -> dict[str, Any]:
        repository, tag = split_image(image)
        try:
            events = self.call(
                lambda: self.engine.api.pull(repository, tag=tag, stream=True, decode=True)
            )
            with engine_errors(self.engine.host):
                follow_pull(image, events)
        except DockerDeployerError as exc:  # the registry's words alone do not name the image
            raise type(exc)(f"pulling {image} failed: {exc.message}") from exc
        return self.inspect_image(image)

    def remove_image(self, image: str, force: bool) -> list[dict[str, Any]]:
        return list(self.call(lambda: self.engine.api.remove_image(image, force=force)) or [])

    def list_networks(self) -> list[NetworkSummary]:
        return [
            NetworkSummary(
                id=str(n["Id"])[:12],
                name=n.get("Name", ""),
                driver=n.get("Driver", ""),
                scope=n.get("Scope", ""),
                containers=len(n["Containers"]) if n.get("Containers") is not None else None,
            )
            for n in self.network_records()
        ]

    def remove_network(self, network_id: str) -> None:
        self.call(lambda: self.engine.api.remove_network(network_id))

    def list_volumes(self) -> list[VolumeSummary]:
        raw = self.call(lambda: self.engine.api.volumes())
        return [
            VolumeSummary(name=v["Name"], driver=v.get("Driver", ""), mountpoint=v["Mountpoint"])
            for v in (raw or {}).get("Volumes") or []
        ]

    def inspect_volume(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.call(lambda: self.engine.api.inspect_volume(name)))
        except NotFound:
            return None

    def network_records(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.call(lambda: self.engine.api.networks(filters=filters)))

    def volume_records(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        raw = self.call(lambda: self.engine.api.volumes(filters=filters))
        return list((raw or {}).get("Volumes") or [])

    def events(
        self, container_id: str, since: datetime, until: datetime, types: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The engine's events for one container in a closed window (one request)."""
        filters = {"container": [container_id], "event": list(types)}
        return list(
            self.call(
                lambda: self.engine.api.events(
                    since=since, until=until, filters=filters, decode=True
                )
            )
        )

    def inspect_distribution(self, ref: str) -> dict[str, Any]:
        """What the registry says a tag points at (needs the registry to answer)."""
        return dict(self.call(lambda: self.engine.api.inspect_distribution(ref)))

    # --- swarm (the host must be a swarm manager) -----------------------------------------------

    def services(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One `/services` round trip."""
        return list(self.call(lambda: self.engine.api.services(filters=filters)))

    def inspect_service(self, service_id: str) -> dict[str, Any]:
        return dict(self.call(lambda: self.engine.api.inspect_service(service_id)))

    def tasks(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.call(lambda: self.engine.api.tasks(filters=filters)))

    def service_logs(self, service_id: str, tail: int, is_tty: bool) -> bytes:
        raw = self.call(
            lambda: self.engine.api.service_logs(
                service_id, stdout=True, stderr=True, tail=tail, details=True, is_tty=is_tty
            )
        )
        return raw if isinstance(raw, bytes) else b"".join(raw)

    def update_service(self, service_id: str, version: int, **changes: Any) -> dict[str, Any]:
        """The SDK's update from the current spec (`fetch_current_spec`) with `changes`."""
        return dict(
            self.call(
                lambda: self.engine.api.update_service(
                    service_id, version, fetch_current_spec=True, **changes
                )
            )
            or {}
        )

    def rollback_service(
        self, service_id: str, spec: dict[str, Any], version: int
    ) -> dict[str, Any]:
        """What `docker service rollback` sends (the SDK has no call for it): the current spec,
        which the engine ignores, with `rollback=previous`."""
        api = self.engine.api
        return dict(
            self.call(
                lambda: api._result(
                    api._post_json(
                        api._url("/services/{0}/update", service_id),
                        data=spec,
                        params={"version": version, "rollback": "previous"},
                    ),
                    json=True,
                )
            )
            or {}
        )

    # --- recreating a container (image updates) ------------------------------------------------

    def inspect_raw(self, container_id: str) -> dict[str, Any]:
        """The engine's whole inspect document (for recreating a container as it is)."""
        return dict(self.call(lambda: self.engine.api.inspect_container(container_id)))

    def create(self, name: str | None, config: dict[str, Any]) -> str:
        created = self.call(lambda: self.engine.api.create_container(name=name, **config))
        return str(created["Id"])

    def rename(self, container_id: str, name: str) -> None:
        self.call(lambda: self.engine.api.rename(container_id, name))

    def connect(self, network: str, container_id: str, aliases: list[str] | None) -> None:
        self.call(
            lambda: self.engine.api.connect_container_to_network(
                container_id, network, aliases=aliases
            )
        )

    # --- CLIs (compose, stack) ----------------------------------------------------------------

    def run_cli(
        self,
        argv: Sequence[str],
        *,
        timeout: float,
        stdin: str | None = None,
        cwd: Path | None = None,
        extra_roots: Sequence[Path] = (),
    ) -> subprocess.CompletedProcess[str]:
        """Run a docker/compose CLI against this engine; every request it sends passes the
        same boundary as ours (it is pointed at a private filtering socket)."""
        with filtering_socket(self.engine.api, canonical_roots(extra_roots)) as url:
            return subprocess.run(
                list(argv), input=stdin, capture_output=True, text=True, timeout=timeout,
                cwd=cwd, env=cli_env(url), check=False,
            )  # fmt: skip

    def disk_usage(self) -> DiskUsage:
        """One `/system/df` round trip, summed like `docker system df`."""
        raw = self.call(lambda: self.engine.api.df())
        images = raw.get("Images") or []
        containers = raw.get("Containers") or []
        volumes = raw.get("Volumes") or []
        cache = raw.get("BuildCache") or []
        image_size = int(raw.get("LayersSize") or sum(int(i.get("Size") or 0) for i in images))
        unused_images = sum(
            int(i.get("Size") or 0) - max(int(i.get("SharedSize") or 0), 0)
            for i in images
            if not i.get("Containers")
        )
        sizes = [int(c.get("SizeRw") or 0) for c in containers]
        stopped = sum(int(c.get("SizeRw") or 0) for c in containers if c.get("State") != "running")
        volume_sizes = [int((v.get("UsageData") or {}).get("Size") or 0) for v in volumes]
        unused_volumes = sum(
            int((v.get("UsageData") or {}).get("Size") or 0)
            for v in volumes
            if int((v.get("UsageData") or {}).get("RefCount") or 0) == 0
        )
        cache_size = sum(int(c.get("Size") or 0) for c in cache)
        cache_free = sum(int(c.get("Size") or 0) for c in cache if not c.get("InUse"))
        usage = DiskUsage(
            images=len(images), images_size=image_size,
            images_reclaimable=max(unused_images, 0),
            containers=len(containers), containers_size=sum(sizes),
            containers_reclaimable=stopped,
            volumes=len(volumes), volumes_size=sum(max(s, 0) for s in volume_sizes),
            volumes_reclaimable=max(unused_volumes, 0),
            build_cache_size=cache_size, build_cache_reclaimable=cache_free,
            total_size=0, total_reclaimable=0,
        )  # fmt: skip
        usage.total_size = sum(
            (usage.images_size, usage.containers_size, usage.volumes_size, cache_size)
        )
        usage.total_reclaimable = sum(
            (usage.images_reclaimable, usage.containers_reclaimable,
             usage.volumes_reclaimable, cache_free)
        )  # fmt: skip
        return usage

    def system_info(self) -> SystemInfo:
        info = self.call(lambda: self.engine.api.info())
        version = self.call(lambda: self.engine.api.version())
        return SystemInfo(
            name=info.get("Name", ""),
            server_version=str(version.get("Version", "")),
            api_version=str(version.get("ApiVersion", "")),
            os=info.get("OperatingSystem", ""),
            architecture=info.get("Architecture", ""),
            cpus=int(info.get("NCPU") or 0),
            memory=int(info.get("MemTotal") or 0),
            containers=int(info.get("Containers") or 0),
            running=int(info.get("ContainersRunning") or 0),
            stopped=int(info.get("ContainersStopped") or 0),
            images=int(info.get("Images") or 0),
            swarm=str((info.get("Swarm") or {}).get("LocalNodeState", "inactive")),
        )


def split_image(image: str) -> tuple[str, str | None]:
    """'repo:tag' -> ('repo', 'tag'); a registry port is not a tag; digests stay whole."""
    if "@" in image:
        return image, None
    repository, sep, tag = image.rpartition(":")
    if sep and "/" not in tag:
        return repository, tag
    return image, "latest"


def not_found_message(ref: str, names: list[str]) -> str:
    close = difflib.get_close_matches(ref, names, n=3, cutoff=0.5)
    close += [n for n in names if ref.lower() in n.lower() and n not in close][:3]
    if close:
        return f"No container named {ref!r}; did you mean {', '.join(close[:3])}?"
    return f"No container named {ref!r}."


def stats_from_api(name: str, raw: dict[str, Any]) -> StatsResult:
    cpu = raw.get("cpu_stats") or {}
    pre = raw.get("precpu_stats") or {}
    cpu_delta = (cpu.get("cpu_usage") or {}).get("total_usage", 0) - (
        pre.get("cpu_usage") or {}
    ).get("total_usage", 0)
    system_delta = (cpu.get("system_cpu_usage") or 0) - (pre.get("system_cpu_usage") or 0)
    online = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or [1])
    cpu_percent = (cpu_delta / system_delta) * online * 100.0 if system_delta > 0 else 0.0
    memory = raw.get("memory_stats") or {}
    cache = (memory.get("stats") or {}).get("inactive_file", 0)
    usage = max(int(memory.get("usage") or 0) - int(cache or 0), 0)
    limit = int(memory.get("limit") or 0)
    rx = tx = 0
    for net in (raw.get("networks") or {}).values():
        rx += int(net.get("rx_bytes") or 0)
        tx += int(net.get("tx_bytes") or 0)
    read = write = 0
    for entry in (raw.get("blkio_stats") or {}).get("io_service_bytes_recursive") or []:
        if entry.get("op", "").lower() == "read":
            read += int(entry.get("value") or 0)
        elif entry.get("op", "").lower() == "write":
            write += int(entry.get("value") or 0)
    return StatsResult(
        container=name,
        cpu_percent=round(cpu_percent, 2),
        memory_usage=usage,
        memory_limit=limit,
        memory_percent=round(usage / limit * 100, 2) if limit else 0.0,
        net_rx=rx,
        net_tx=tx,
        block_read=read,
        block_write=write,
        pids=int((raw.get("pids_stats") or {}).get("current") or 0),
    )


def wait_for_state(manager: EngineClient, container_id: str, wanted: str, seconds: float) -> str:
    """Poll until the container reaches `wanted` or time runs out; return the last state."""
    deadline = time.monotonic() + seconds
    state = manager.state_of(container_id)
    while state != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
        state = manager.state_of(container_id)
    return state
