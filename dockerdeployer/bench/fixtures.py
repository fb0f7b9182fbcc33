"""A task's resources on the engine: set up, snapshot, clean up.

Everything is created from the local test image (never pulled) and labelled
`dockerdeployer.bench=<run id>`. Cleanup removes only what carries that label or the task's
name prefix, plus containers the assistant's executed calls reported creating.
"""

from __future__ import annotations

import io
import shlex
import socket
import time
from dataclasses import dataclass
from typing import Any

import docker
import docker.errors

from dockerdeployer.bench.compose_fixtures import ComposeFixtures
from dockerdeployer.bench.scope import BENCH_LABEL, TaskScope, run_prefix
from dockerdeployer.bench.spec import ContainerSpec, HealthcheckSpec, ServiceSpec
from tools.errors import DockerDeployerError
from tools.guard.allowlist import Violation
from tools.guard.boundary import carrying
from tools.labels import PROTECT_LABEL

# Exits at once on SIGTERM (a bare PID 1 ignores it, and every stop would cost 10 s).
_IDLE = "trap 'exit 0' TERM; sleep 3600 & wait"
# How long the engine may take to reach a scenario's state: a crash loop's back-off doubles
# from 100 ms, a health check needs `retries` probes, a memory hog a moment to hit its limit.
_SETTLE_SECONDS = 30.0


class SetupError(Exception):
    """The task's starting state could not be built (not the assistant's fault)."""


@dataclass(frozen=True)
class ContainerState:
    id: str
    name: str
    status: str  # running | exited | created | ...
    started_at: str
    exit_code: int

    @classmethod
    def from_inspect(cls, raw: dict[str, Any]) -> ContainerState:
        state = raw.get("State") or {}
        return cls(
            id=raw["Id"],
            name=str(raw.get("Name", "")).lstrip("/"),
            status=str(state.get("Status", "")),
            started_at=str(state.get("StartedAt", "")),
            exit_code=int(state.get("ExitCode") or 0),
        )


def _print_lines(lines: list[str], stream: str = "") -> str:
    if not lines:
        return "true"
    return "printf '%s\\n' " + " ".join(shlex.quote(line) for line in lines) + stream


def command_for(spec: ContainerSpec) -> list[str]:
    if spec.command is not None:
        return list(spec.command)
    if spec.kind == "httpd":
        return ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h / & wait"]
    if spec.kind == "logger":
        return ["sh", "-c", f"{_print_lines(spec.lines)}; {_IDLE}"]
    if spec.kind == "exiter":
        return ["sh", "-c", f"{_print_lines(spec.lines, ' >&2')}; exit {spec.exit_code}"]
    return ["sh", "-c", _IDLE]


def _healthcheck(spec: HealthcheckSpec) -> dict[str, Any]:
    nanos = 1_000_000_000
    return {
        "test": ["CMD-SHELL", spec.command],
        "interval": int(spec.interval * nanos),
        "timeout": int(spec.timeout * nanos),
        "retries": spec.retries,
        "start_period": 0,
    }


def _listen(port: int) -> socket.socket:
    """Hold a host port as a process outside Docker would."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError as exc:
        sock.close()
        raise SetupError(f"could not hold host port {port}: {exc}") from exc
    return sock


def _wait(predicate: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SetupError(f"timed out waiting for {what}")


class Fixtures:
    def __init__(self, api: docker.APIClient, compose: ComposeFixtures | None = None) -> None:
        self.api = api
        self.compose = compose

    # --- setup ----------------------------------------------------------------------------------

    def set_up(self, scope: TaskScope) -> None:
        for port in scope.task.setup.held_ports:
            scope.held.append(_listen(int(scope.expand(port))))
        try:
            for image in scope.task.setup.images:
                scope.image_ids[image.name] = self._build_image(scope, image.name)
            for spec in scope.task.setup.containers:
                scope.container_ids[spec.name] = self._create(scope, spec)
            for service in scope.task.setup.services:
                scope.service_ids[service.name] = self._create_service(scope, service)
            for project in scope.task.setup.projects:
                if self.compose is None:
                    raise SetupError("compose projects need a compose root and CLI")
                self.compose.set_up(scope, project)
        except docker.errors.DockerException as exc:
            raise SetupError(f"setup failed: {exc}") from exc
        except DockerDeployerError as exc:
            raise SetupError(f"setup failed: {exc.message}") from exc

    def _build_image(self, scope: TaskScope, name: str) -> str:
        # A LABEL-only build: a distinct image ID sharing the test image's layers, no pull.
        tag = scope.image_tag(name)
        dockerfile = f"FROM {scope.image}\nLABEL {BENCH_LABEL}={scope.run_id} bench.image={tag}\n"
        stream = self.api.build(
            fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, pull=False, decode=True
        )
        for chunk in stream:  # the build runs while its progress stream is read
            if isinstance(chunk, dict) and chunk.get("error"):
                raise SetupError(f"building {tag}: {chunk['error']}")
        return str(self.api.inspect_image(tag)["Id"])

    def _create(self, scope: TaskScope, spec: ContainerSpec) -> str:
        labels = {**scope.expand_any(spec.labels), BENCH_LABEL: scope.run_id}
        if spec.protected:
            labels[PROTECT_LABEL] = "true"
        bindings = {
            int(inside.split("/")[0]): ("127.0.0.1", int(scope.expand(host)))
            for inside, host in spec.ports.items()
        }
        host_config = self.api.create_host_config(
            port_bindings=bindings or None,
            restart_policy={"Name": spec.restart_policy} if spec.restart_policy != "no" else None,
            # no swap beyond the limit: the process is OOM-killed at it, not slowed down
            mem_limit=spec.memory,
            memswap_limit=spec.memory,
        )
        # The set-up plays a person marking a container protected by hand: it may set the
        # product's reserved label, and only that, for this one create.
        reserved = [
            Violation(f"Labels.{key}", value, "set by the scenario")
            for key, value in labels.items()
            if key == PROTECT_LABEL
        ]
        with carrying(reserved):
            created = self.api.create_container(
                scope.image,
                command=scope.expand_any(command_for(spec)),
                name=scope.full(spec.name),
                labels=labels,
                environment=scope.expand_any(spec.env) or None,
                ports=list(bindings) or None,
                host_config=host_config,
                healthcheck=_healthcheck(spec.healthcheck) if spec.healthcheck else None,
            )
        container_id = str(created["Id"])
        if spec.state == "created":
            return container_id
        if spec.state == "start-failed":
            self._start_refused(container_id, spec)
            return container_id
        self.api.start(container_id)
        if spec.restarts:
            _wait(lambda: self._restart_count(container_id) >= spec.restarts, _SETTLE_SECONDS,
                  f"{spec.name} to be restarted {spec.restarts} times")  # fmt: skip
            return container_id  # it keeps restarting: no steady state to wait for
        if spec.healthcheck is not None:
            _wait(lambda: self._health(container_id) in ("healthy", "unhealthy"), _SETTLE_SECONDS,
                  f"{spec.name}'s first health verdict")  # fmt: skip
        if spec.kind == "exiter":
            self.api.wait(container_id, timeout=_SETTLE_SECONDS)
        elif spec.state == "exited":
            self.api.stop(container_id, timeout=5)
        if spec.kind == "logger" and spec.lines and spec.state == "running":
            last = scope.expand(spec.lines[-1]).encode()
            _wait(lambda: last in self.api.logs(container_id), 5, f"{spec.name}'s log lines")
        wanted = "running" if spec.state == "running" and spec.kind != "exiter" else "exited"
        _wait(lambda: self.status(container_id) == wanted, 10, f"{spec.name} to be {wanted}")
        return container_id

    def _start_refused(self, container_id: str, spec: ContainerSpec) -> None:
        """Start it expecting the engine to refuse (as `docker run` would report it)."""
        try:
            self.api.start(container_id)
        except docker.errors.APIError:
            pass
        else:
            raise SetupError(f"{spec.name} was expected not to start, but the engine started it")
        raw = self.api.inspect_container(container_id)
        if not (raw.get("State") or {}).get("Error"):
            raise SetupError(f"{spec.name}'s failed start left no error in its state")

    def _restart_count(self, container_id: str) -> int:
        return int(self.api.inspect_container(container_id).get("RestartCount") or 0)

    def _health(self, container_id: str) -> str | None:
        state = self.api.inspect_container(container_id).get("State") or {}
        return (state.get("Health") or {}).get("Status")

    def _create_service(self, scope: TaskScope, spec: ServiceSpec) -> str:
        template = docker.types.TaskTemplate(
            container_spec=docker.types.ContainerSpec(scope.image, ["sh", "-c", _IDLE])
        )
        created = self.api.create_service(
            template,
            name=scope.full(spec.name),
            labels={BENCH_LABEL: scope.run_id},
            mode=docker.types.ServiceMode("replicated", replicas=spec.replicas),
        )
        return str(created["ID"])

    # --- state ----------------------------------------------------------------------------------

    def status(self, container_id: str) -> str | None:
        state = self.state(container_id)
        return state.status if state else None

    def state(self, ref: str) -> ContainerState | None:
        try:
            return ContainerState.from_inspect(self.api.inspect_container(ref))
        except docker.errors.NotFound:
            return None

    def snapshot(self, scope: TaskScope) -> dict[str, ContainerState | None]:
        return {name: self.state(cid) for name, cid in scope.container_ids.items()}

    def names_with_prefix(self, prefix: str) -> dict[str, str]:
        """Name -> ID of every container whose name starts with `prefix`."""
        found = self.api.containers(all=True, filters={"name": prefix})
        out = {}
        for item in found:
            for name in item.get("Names") or []:
                if name.lstrip("/").startswith(prefix):
                    out[name.lstrip("/")] = str(item["Id"])
        return out

    def replicas(self, service: str) -> int | None:
        try:
            spec = self.api.inspect_service(service).get("Spec") or {}
        except docker.errors.NotFound:
            return None
        return int(((spec.get("Mode") or {}).get("Replicated") or {}).get("Replicas", 0))

    def image_exists(self, ref: str) -> bool:
        try:
            self.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return False
        return True

    # --- cleanup --------------------------------------------------------------------------------

    def clean_up(self, scope: TaskScope, created_ids: set[str] | None = None) -> list[str]:
        """Remove the task's containers and images; returns what could not be removed."""
        while scope.held:
            scope.held.pop().close()
        problems = self.compose.clean_up(scope) if self.compose is not None else []
        ids = set(scope.container_ids.values()) | (created_ids or set())
        ids |= set(self.names_with_prefix(scope.prefix + "-").values())
        problems += [p for cid in sorted(ids) if (p := self._remove_container(cid))]
        problems += [p for sid in scope.service_ids.values() if (p := self._remove_service(sid))]
        for name in scope.image_ids:
            problems += self._remove_image(scope.image_tag(name), scope.run_id)
        return problems

    def sweep(self, run_id: str) -> list[str]:
        """Last resort after a run (or Ctrl-C): whatever carries the run's label or prefix."""
        labelled = self.api.containers(all=True, filters={"label": f"{BENCH_LABEL}={run_id}"})
        ids = {str(c["Id"]) for c in labelled}
        ids |= set(self.names_with_prefix(run_prefix(run_id)).values())
        problems = [p for cid in sorted(ids) if (p := self._remove_container(cid))]
        try:  # only a Swarm manager has services; anywhere else this is a 503
            services = self.api.services(filters={"label": f"{BENCH_LABEL}={run_id}"})
        except docker.errors.APIError:
            services = []
        problems += [p for svc in services if (p := self._remove_service(str(svc["ID"])))]
        for net in self.api.networks(filters={"label": f"{BENCH_LABEL}={run_id}"}):
            try:
                self.api.remove_network(net["Id"])
            except docker.errors.APIError as exc:
                problems.append(f"network {net.get('Name')}: {exc}")
        for image in self.api.images(filters={"label": f"{BENCH_LABEL}={run_id}"}):
            for tag in image.get("RepoTags") or []:
                problems += self._remove_image(tag, run_id)
        return problems

    def _remove_container(self, container_id: str) -> str | None:
        try:
            self.api.remove_container(container_id, force=True, v=True)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            return f"container {container_id[:12]}: {exc}"
        return None

    def _remove_service(self, service_id: str) -> str | None:
        try:
            self.api.remove_service(service_id)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            return f"service {service_id[:12]}: {exc}"
        return None

    def _remove_image(self, tag: str, run_id: str) -> list[str]:
        try:
            labels = (self.api.inspect_image(tag).get("Config") or {}).get("Labels") or {}
            if labels.get(BENCH_LABEL) != run_id:
                return []  # never remove an image this run did not build
            self.api.remove_image(tag, force=False, noprune=False)
        except docker.errors.ImageNotFound:
            return []
        except docker.errors.APIError as exc:
            return [f"image {tag}: {exc}"]
        return []
