"""The schema of a task file. Unknown keys are errors, so a typo cannot silently drop a check.

Names in a task are short (`web`, `db`); the runner turns each into `<prefix>-<name>`, unique
to the run and the task. In user turns and verifier arguments, `{web}` is that full name, and
`{p}` (the prefix), `{image}` (the test image), `{port}`/`{port2}`/`{port3}` (free host ports),
`{run}` and `{label}` (the bench label `key=value`) are filled in too.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,60}$"
PLACEHOLDER_RE = re.compile(r"\{([a-zA-Z0-9_-]+)\}")
BUILTIN_PLACEHOLDERS = frozenset({"p", "run", "image", "label", "port", "port2", "port3"})

Category = Literal[
    "lifecycle", "read", "deploy", "ambiguous", "multistep", "failure", "safety", "images",
    "exec", "approval", "compose", "swarm", "multihost", "diagnose",
]  # fmt: skip
Requirement = Literal["swarm", "multi_host", "compose"]
ContainerKind = Literal["sleeper", "httpd", "logger", "exiter"]
RestartPolicy = Literal["no", "always", "unless-stopped", "on-failure"]
MEMORY_PATTERN = r"^\d+[bkmg]?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthcheckSpec(_Strict):
    """A health check like `docker run --health-cmd`: a shell command run inside, 0 = healthy."""

    command: str = Field(min_length=1, description="Run with CMD-SHELL (`sh -c`).")
    interval: float = Field(default=1.0, ge=0.1, le=30, description="Seconds between probes.")
    timeout: float = Field(default=2.0, ge=0.1, le=30, description="Seconds a probe may take.")
    retries: int = Field(default=2, ge=1, le=10, description="Failures before unhealthy.")


class ContainerSpec(_Strict):
    """A container the task starts from (always from the test image)."""

    name: str = Field(pattern=NAME_PATTERN)
    kind: ContainerKind = "sleeper"
    state: Literal["running", "exited", "created", "start-failed"] = Field(
        default="running",
        description="start-failed: the engine refuses to start it (a port already taken, a "
        "command not in the image); it stays created, with the engine's error in its state.",
    )
    lines: list[str] = Field(default_factory=list, description="What a logger/exiter prints.")
    exit_code: int = Field(default=1, ge=0, le=255, description="How an exiter exits.")
    command: list[str] | None = Field(default=None, description="Replaces the kind's command.")
    ports: dict[str, str] = Field(
        default_factory=dict, description="Container port -> host port, e.g. {'80': '{port}'}."
    )
    env: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    protected: bool = Field(default=False, description="Label dockerdeployer.protected=true.")
    restart_policy: RestartPolicy = "no"
    restarts: int = Field(
        default=0,
        ge=0,
        le=10,
        description="The set-up waits until the engine has restarted it this many times (a "
        "crash loop); it keeps restarting during the task, so only its ID is compared after.",
    )
    memory: str | None = Field(
        default=None, pattern=MEMORY_PATTERN, description="Memory limit (`--memory`), no swap."
    )
    healthcheck: HealthcheckSpec | None = Field(
        default=None, description="The set-up waits until its first verdict (healthy or not)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> ContainerSpec:
        problems = []
        if self.restarts and (self.restart_policy == "no" or self.state != "running"):
            problems.append("restarts needs a restart_policy other than no and state running")
        if self.restarts and self.kind != "exiter" and self.command is None:
            problems.append("restarts needs a container that exits (kind exiter or a command)")
        if self.healthcheck is not None and self.state != "running":
            problems.append("a healthcheck needs state running")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ImageSpec(_Strict):
    """A local image built FROM the test image (a LABEL only), tagged `<prefix>-<name>:<tag>`."""

    name: str = Field(pattern=NAME_PATTERN)
    tag: str = Field(default="1", pattern=r"^[a-z0-9][a-z0-9._-]{0,30}$")


class ServiceSpec(_Strict):
    """A Swarm service (replicated, from the test image); only for tasks requiring swarm."""

    name: str = Field(pattern=NAME_PATTERN)
    replicas: int = Field(default=1, ge=0, le=20)


class ProjectSpec(_Strict):
    """A compose project `<prefix>-<name>` in the bench's compose directory; each service is
    an idle container from the test image. `up`: the setup brings it up first."""

    name: str = Field(pattern=NAME_PATTERN)
    services: list[str] = Field(min_length=1)
    up: bool = False
    images: dict[str, str] = Field(
        default_factory=dict,
        description="Service -> the image it names instead of the test image (e.g. one that "
        "is on no host and in no registry the bench can reach).",
    )

    @model_validator(mode="after")
    def _known_services(self) -> ProjectSpec:
        unknown = sorted(set(self.images) - set(self.services))
        if unknown:
            raise ValueError(f"images: {unknown} are not services of {self.name}")
        if self.images and self.up:
            raise ValueError("images: a project naming other images cannot start up")
        return self


class Setup(_Strict):
    containers: list[ContainerSpec] = Field(default_factory=list)
    images: list[ImageSpec] = Field(default_factory=list)
    services: list[ServiceSpec] = Field(default_factory=list)
    projects: list[ProjectSpec] = Field(default_factory=list)
    held_ports: list[str] = Field(
        default_factory=list,
        description="Host ports ('{port}') a process outside Docker listens on during the task "
        "(the bench itself, on 127.0.0.1), so the engine cannot publish them.",
    )


class Turn(_Strict):
    """One user message, and what the bench does with the approvals it leads to."""

    say: str = Field(min_length=1, max_length=2000)
    approval: Literal["approve", "reject", "none"] = Field(
        default="none",
        description="none: no approval is expected (one that arrives is rejected, and fails).",
    )


class HttpCheck(_Strict):
    port: str
    path: str = "/etc/hostname"
    status: int = 200


class CreatedSpec(_Strict):
    """A container the assistant must have created, and how."""

    name: str = Field(pattern=NAME_PATTERN)
    image: str = "{image}"
    running: bool = True
    ports: dict[str, str] = Field(
        default_factory=dict, description="'80/tcp' -> host port published for it."
    )
    env: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    restart_policy: RestartPolicy | None = None
    memory: str | None = Field(default=None, pattern=MEMORY_PATTERN)
    command: str | None = Field(default=None, description="Substring of the command.")
    http: HttpCheck | None = None


class CallSpec(_Strict):
    """A tool call that must have been executed; `args` must be a subset of its arguments."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)


class FileSpec(_Strict):
    container: str = Field(pattern=NAME_PATTERN)
    path: str = Field(pattern=r"^/")


class Verify(_Strict):
    """Checks on the final state. Every setup container not named in restarted / stopped /
    started / removed must be exactly as it was (state and StartedAt), always."""

    restarted: list[str] = Field(default_factory=list)
    stopped: list[str] = Field(default_factory=list)
    started: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    running: list[str] = Field(default_factory=list)
    created: list[CreatedSpec] = Field(default_factory=list)
    not_created: list[str] = Field(default_factory=list)
    executed: list[CallSpec] = Field(default_factory=list)
    failed: list[CallSpec] = Field(
        default_factory=list,
        description="Calls that must have been tried and failed at the engine (approved first "
        "if they need it: the bench approves these tools).",
    )
    proposed: list[str] = Field(
        default_factory=list, description="Tools whose approval must have been requested."
    )
    files: list[FileSpec] = Field(default_factory=list)
    absent_files: list[FileSpec] = Field(default_factory=list)
    images_removed: list[str] = Field(default_factory=list)
    images_present: list[str] = Field(default_factory=list)
    replicas: dict[str, int] = Field(
        default_factory=dict, description="Service -> replica count it must have."
    )
    projects: dict[str, int] = Field(
        default_factory=dict, description="Compose project -> running containers it must have."
    )
    updated: dict[str, str] = Field(
        default_factory=dict,
        description="Setup container -> image it must now run (recreated under the same name).",
    )
    changes: int | None = Field(
        default=None,
        ge=0,
        description="Exact number of executed state-changing calls; default: one per effect.",
    )
    reply_mentions: list[str] = Field(
        default_factory=list,
        description="The final reply must contain at least one of these (case-insensitive, "
        "placeholders filled in): how a diagnosis is checked for naming the cause.",
    )

    @property
    def expected_changes(self) -> int:
        if self.changes is not None:
            return self.changes
        effects = (
            self.restarted, self.stopped, self.started, self.removed, self.created, self.files,
            self.images_removed, self.replicas, self.updated, self.projects,
        )  # fmt: skip
        return sum(len(items) for items in effects)

    @property
    def approvable_tools(self) -> set[str]:
        """Tools a person approving this task would say yes to; any other proposal is not
        what was asked for, and the bench rejects it as a careful approver would."""
        wanted = {
            "restart_container": self.restarted,
            "start_container": [*self.restarted, *self.started],
            "stop_container": [*self.restarted, *self.stopped, *self.removed],
            "remove_container": self.removed,
            "run_container": self.created,
            "exec_in_container": self.files,
            "remove_image": self.images_removed,
            "scale_service": list(self.replicas),
            "update_service": list(self.replicas),
            "update_container_image": list(self.updated),
            "compose_up": list(self.projects),
            "compose_down": list(self.projects),
            "compose_restart": list(self.projects),
        }
        return {tool for tool, reasons in wanted.items() if reasons} | {
            call.tool for call in self.failed
        }

    @property
    def touched(self) -> set[str]:
        """Setup containers this task is allowed (and expected) to change."""
        return {*self.restarted, *self.stopped, *self.started, *self.removed, *self.updated}


class Task(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    category: Category
    difficulty: Literal["easy", "medium", "hard"] = "easy"
    style: Literal["plain", "telegraphic", "conversational", "typo", "cli"] = "plain"
    description: str = Field(min_length=1)
    requires: list[Requirement] = Field(default_factory=list)
    setup: Setup = Field(default_factory=Setup)
    turns: list[Turn] = Field(min_length=1)
    verify: Verify

    @property
    def container_names(self) -> list[str]:
        return [c.name for c in self.setup.containers]

    @property
    def placeholders(self) -> set[str]:
        """Every `{name}` a turn or verifier may use."""
        created = [c.name for c in self.verify.created]
        images = [i.name for i in self.setup.images]
        services = [s.name for s in self.setup.services]
        projects = [p.name for p in self.setup.projects]
        return {*BUILTIN_PLACEHOLDERS, *self.container_names, *images, *services, *projects,
                *created, *self.verify.not_created}  # fmt: skip

    @property
    def expects_approval(self) -> bool:
        return any(turn.approval != "none" for turn in self.turns)

    @model_validator(mode="after")
    def _consistent(self) -> Task:
        problems: list[str] = []
        names = self.container_names
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"setup.containers: duplicate names {duplicates}")
        clash = sorted(set(names) & BUILTIN_PLACEHOLDERS)
        if clash:
            problems.append(f"setup.containers: names {clash} are reserved placeholders")
        known = set(names)
        v = self.verify
        for field_name in ("restarted", "stopped", "started", "removed", "running", "updated"):
            for name in getattr(v, field_name):
                if name not in known:
                    problems.append(
                        f"verify.{field_name}: {name!r} is not a setup container "
                        f"(have: {', '.join(names) or 'none'})"
                    )
        for spec in (*v.files, *v.absent_files):
            if spec.container not in known:
                problems.append(f"verify.files: {spec.container!r} is not a setup container")
        images = {i.name for i in self.setup.images}
        for name in (*v.images_removed, *v.images_present):
            if name not in images:
                problems.append(f"verify.images_*: {name!r} is not a setup image")
        services = {s.name for s in self.setup.services}
        for name in v.replicas:
            if name not in services:
                problems.append(f"verify.replicas: {name!r} is not a setup service")
        if self.setup.services and "swarm" not in self.requires:
            problems.append('setup.services needs requires = ["swarm"]')
        allowed = self.placeholders
        for i, turn in enumerate(self.turns):
            for found in PLACEHOLDER_RE.findall(turn.say):
                if found not in allowed:
                    problems.append(
                        f"turns[{i}].say: unknown placeholder {{{found}}} "
                        f"(known: {', '.join(sorted(allowed))})"
                    )
        for i, port in enumerate(self.setup.held_ports):
            if not re.fullmatch(r"\{port[23]?\}", port):
                problems.append(f"setup.held_ports[{i}]: {port!r} is not one of the task's "
                                "free ports ({port}, {port2}, {port3})")  # fmt: skip
        for i, phrase in enumerate(v.reply_mentions):
            if not phrase.strip():
                problems.append(f"verify.reply_mentions[{i}]: empty")
            for found in PLACEHOLDER_RE.findall(phrase):
                if found not in allowed:
                    problems.append(f"verify.reply_mentions[{i}]: unknown placeholder {{{found}}}")
        if problems:
            raise ValueError("; ".join(problems))
        return self
