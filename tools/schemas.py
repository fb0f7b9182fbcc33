"""Input models (what the model and API clients send) and small result models.

Field descriptions and tool docstrings are what a language model reads, so they are short and
exact. Argument names are the public contract: `container`, `image`, `ports`, `env`, `volumes`,
`tail`, `since`, `service`, `replicas`, `host`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from tools.timeparse import check_since

_NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_IMAGE_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._/:@+-]*$")
_MAX_REF = 255


def _container_ref(value: str) -> str:
    value = value.strip()
    if not value or len(value) > _MAX_REF or not _NAME_RE.match(value):
        shown = value if len(value) <= 60 else value[:60] + "…"
        raise ValueError(
            f"{shown!r} is not a valid container name or ID "
            "(letters, digits, '_', '.', '-'; up to 255 characters)"
        )
    return value.lstrip("/")


def _image_ref(value: str) -> str:
    value = value.strip()
    if not value or len(value) > _MAX_REF or not _IMAGE_RE.match(value) or ".." in value:
        shown = value if len(value) <= 60 else value[:60] + "…"
        raise ValueError(f"{shown!r} is not a valid image reference (e.g. nginx:1.27)")
    return value


ContainerRef = Annotated[str, AfterValidator(_container_ref)]
ImageRef = Annotated[str, AfterValidator(_image_ref)]
Host = Annotated[
    str | None, Field(default=None, description="Docker host name; omit for the default host.")
]


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)

    host: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Docker host name ('all' to list everywhere); omit for the usual host.",
    )


class ContainerInput(ToolInput):
    container: ContainerRef = Field(description="Container name or ID.")


# --- read tools -------------------------------------------------------------------------------


class ListContainersInput(ToolInput):
    status: Literal["running", "all", "exited", "created", "paused", "restarting", "dead"] = Field(
        default="running", description="Which containers; 'all' includes stopped ones."
    )
    condition: Literal["unhealthy", "restarting", "exited_nonzero", "never_started"] | None = Field(
        default=None, description="Only containers in this condition (any status)."
    )
    name: str | None = Field(default=None, max_length=255, description="Name contains this.")
    label: str | None = Field(default=None, max_length=512, description="'key' or 'key=value'.")
    image: str | None = Field(default=None, max_length=255, description="Created from image.")


class InspectContainerInput(ContainerInput):
    pass


# Following logs: a stream (CLI, SSE) may run for up to an hour; a tool answer (agent, MCP)
# holds a turn, so it waits much less.
FOLLOW_SECONDS_MAX = 3600
FOLLOW_SECONDS_IN_ANSWER = 30


class ContainerLogsInput(ContainerInput):
    tail: int = Field(default=100, ge=1, le=10_000, description="Last N lines.")
    since: Annotated[str | None, AfterValidator(check_since)] = Field(
        default=None, max_length=40, description="Only newer lines: '10m', '2h', '1d' or ISO time."
    )
    grep: str | None = Field(
        default=None, max_length=200, description="Keep lines containing this (case-insensitive)."
    )
    follow: bool = Field(default=False, description="Also wait for new lines.")
    # A tool answer waits at most FOLLOW_SECONDS_IN_ANSWER; a stream (CLI, SSE) up to the max.
    seconds: int = Field(default=10, ge=1, le=FOLLOW_SECONDS_MAX, description="How long to follow.")


class ContainerStatsInput(ToolInput):
    container: ContainerRef | None = Field(
        default=None, description="Container name or ID; omit for every running container."
    )
    sort_by: Literal["cpu", "memory"] = Field(default="cpu", description="Order of the list.")


class DiskUsageInput(ToolInput):
    pass


class DiagnoseContainerInput(ContainerInput):
    pass


class FindProblemsInput(ToolInput):
    pass


class ListImagesInput(ToolInput):
    name: str | None = Field(default=None, max_length=255, description="Repository filter.")


class ListNetworksInput(ToolInput):
    pass


class ListVolumesInput(ToolInput):
    pass


class SystemInfoInput(ToolInput):
    pass


# --- change tools -----------------------------------------------------------------------------


class StartContainerInput(ContainerInput):
    pass


class StopContainerInput(ContainerInput):
    timeout: int = Field(default=10, ge=0, le=600, description="Seconds before SIGKILL.")


class RestartContainerInput(ContainerInput):
    timeout: int = Field(default=10, ge=0, le=600, description="Seconds before SIGKILL.")


class MountSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["bind", "volume", "tmpfs"] = "volume"
    source: str | None = Field(default=None, max_length=4096)
    target: str = Field(max_length=4096)
    read_only: bool = False


# Accepted only so the guard can refuse them by value with a clear reason (see run_container).
_REFUSED: str | None = None


class RunContainerInput(ToolInput):
    image: ImageRef = Field(description="Image, e.g. nginx:1.27.")
    name: ContainerRef | None = Field(default=None, description="Container name.")
    ports: dict[str, int | str] = Field(
        default_factory=dict, description="Host port -> container port, e.g. {'8080': '80'}."
    )
    env: dict[str, str] = Field(default_factory=dict, description="Environment variables.")
    volumes: dict[str, str] = Field(
        default_factory=dict,
        description="Volume name or host path -> container path (suffix ':ro' for read-only).",
    )
    restart_policy: Literal["no", "always", "unless-stopped", "on-failure"] = "no"
    cpus: float | None = Field(default=None, gt=0, le=1024, description="CPU limit.")
    memory: str | None = Field(
        default=None, pattern=r"^\d+[bkmgBKMG]?$", description="Memory limit, e.g. '512m'."
    )
    labels: dict[str, str] = Field(default_factory=dict)
    command: str | list[str] | None = Field(default=None, description="Override the command.")
    network: str | None = Field(default=None, max_length=255, description="Network to join.")
    privileged: bool = Field(default=False, description=_REFUSED)
    cap_add: list[str] = Field(default_factory=list, description=_REFUSED)
    network_mode: str | None = Field(default=None, description=_REFUSED)
    pid_mode: str | None = Field(default=None, description=_REFUSED)
    ipc_mode: str | None = Field(default=None, description=_REFUSED)
    uts_mode: str | None = Field(default=None, description=_REFUSED)
    userns_mode: str | None = Field(default=None, description=_REFUSED)
    devices: list[str] = Field(default_factory=list, description=_REFUSED)
    security_opt: list[str] = Field(default_factory=list, description=_REFUSED)
    volumes_from: list[str] = Field(default_factory=list, description=_REFUSED)
    mounts: list[MountSpec] = Field(default_factory=list, description=_REFUSED)


class PullImageInput(ToolInput):
    image: ImageRef = Field(description="Image with tag, e.g. redis:7.")


# --- destructive tools ------------------------------------------------------------------------


class RemoveContainerInput(ContainerInput):
    force: bool = Field(default=False, description="Remove even if running.")


class RemoveImageInput(ToolInput):
    image: ImageRef = Field(description="Image reference or ID.")
    force: bool = False


class PruneInput(ToolInput):
    containers: bool = Field(default=True, description="Stopped containers.")
    images: bool = Field(default=True, description="Dangling images.")
    networks: bool = Field(default=True, description="Unused networks.")


class ExecInContainerInput(ContainerInput):
    command: str | list[str] = Field(description="Command to run (non-interactive).")
    workdir: str | None = Field(default=None, max_length=4096)
    timeout: int = Field(default=60, ge=1, le=600, description="Seconds to wait for it.")


# --- results ----------------------------------------------------------------------------------


class ContainerSummary(BaseModel):
    id: str
    name: str
    image: str
    state: str
    status: str
    ports: list[str] = Field(default_factory=list)
    created: str
    host: str = "local"


class MountInfo(BaseModel):
    type: str
    source: str
    destination: str
    rw: bool


class ContainerDetail(ContainerSummary):
    full_id: str
    image_id: str
    command: str
    started_at: str | None = None
    exit_code: int | None = None
    restart_count: int = 0
    health: str | None = None
    restart_policy: str = "no"
    mounts: list[MountInfo] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)
    env: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class LogsResult(BaseModel):
    container: str
    lines: int
    truncated: bool
    text: str


class StatsOverview(BaseModel):
    """Every running container's usage in one answer, sorted, with totals."""

    containers: list[StatsResult]
    sort_by: str
    total_cpu_percent: float
    total_memory_usage: int


class DiskUsage(BaseModel):
    """`docker system df`: what each kind of object takes and what prune would reclaim."""

    images: int
    images_size: int
    images_reclaimable: int
    containers: int
    containers_size: int
    containers_reclaimable: int
    volumes: int
    volumes_size: int
    volumes_reclaimable: int
    build_cache_size: int
    build_cache_reclaimable: int
    total_size: int
    total_reclaimable: int


class StatsResult(BaseModel):
    container: str
    cpu_percent: float
    memory_usage: int
    memory_limit: int
    memory_percent: float
    net_rx: int
    net_tx: int
    block_read: int
    block_write: int
    pids: int


class ImageSummary(BaseModel):
    id: str
    tags: list[str]
    size: int
    created: str


class NetworkSummary(BaseModel):
    id: str
    name: str
    driver: str
    scope: str
    containers: int | None = None


class VolumeSummary(BaseModel):
    name: str
    driver: str
    mountpoint: str


class SystemInfo(BaseModel):
    name: str
    server_version: str
    api_version: str
    os: str
    architecture: str
    cpus: int
    memory: int
    containers: int
    running: int
    stopped: int
    images: int
    swarm: str


class ActionResult(BaseModel):
    """The outcome of a state change, with the CLI command it matches."""

    ok: bool = True
    message: str
    command: str
    targets: list[str] = Field(default_factory=list)
    state: str | None = None
    output: str | None = None
    exit_code: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)


# --- image updates ----------------------------------------------------------------------------


def _image_or_tag(value: str) -> str:
    value = value.strip()
    if value.startswith(":"):
        if not re.fullmatch(r":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", value):
            raise ValueError(f"{value!r} is not a valid tag (e.g. :v2)")
        return value
    return _image_ref(value)


class UpdateContainerImageInput(ContainerInput):
    image: Annotated[str, AfterValidator(_image_or_tag)] | None = Field(
        default=None, description="New image, e.g. api:v2; omit to refresh the current tag."
    )
    health_timeout: int = Field(
        default=30, ge=3, le=600, description="Seconds to wait for healthy/running."
    )


class CheckImageUpdateInput(ContainerInput):
    pass


# --- compose projects -------------------------------------------------------------------------

ProjectName = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Compose project name.")
]
ServiceName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]


class ComposeProjectInput(ToolInput):
    project: ProjectName


class ComposeUpInput(ComposeProjectInput):
    service: ServiceName | None = Field(default=None, description="Only this service.")


class ComposeDownInput(ComposeProjectInput):
    volumes: bool = Field(default=False, description="Also delete its volumes (destructive).")


class ComposePsInput(ToolInput):
    project: ProjectName | None = Field(default=None, description="Omit to list projects.")


class ComposeLogsInput(ComposeProjectInput):
    service: ServiceName | None = None
    tail: int = Field(default=100, ge=1, le=10_000)


class ComposeRestartInput(ComposeProjectInput):
    service: ServiceName | None = Field(default=None, description="Omit for all services.")


# --- swarm services ---------------------------------------------------------------------------


class ServiceInput(ToolInput):
    service: ServiceName = Field(description="Swarm service name or ID.")


class ListServicesInput(ToolInput):
    pass


class ScaleServiceInput(ServiceInput):
    replicas: int = Field(ge=0, le=1000)


class UpdateServiceInput(ServiceInput):
    image: ImageRef | None = None
    env: dict[str, str] | None = Field(default=None, description="Variables to set.")
    replicas: int | None = Field(default=None, ge=0, le=1000)


class RollbackServiceInput(ServiceInput):
    pass


class RestartServiceInput(ServiceInput):
    pass


class ServiceLogsInput(ServiceInput):
    tail: int = Field(default=100, ge=1, le=10_000)


class StackDeployInput(ToolInput):
    project: ProjectName = Field(description="Compose project (directory) to deploy.")
    stack: ProjectName | None = Field(default=None, description="Stack name; default project.")


class StackRemoveInput(ToolInput):
    stack: ProjectName


class ServiceSummary(BaseModel):
    id: str
    name: str
    image: str
    mode: str
    replicas: int | None
    running: int
    updated: str
    host: str = "local"
