"""The engine boundary: every request the product sends to a Docker engine passes here.

`GuardedAPIClient` is the docker SDK's low-level client with one override: before a request
leaves, its method, path and JSON body are judged by the allow-list (`tools.guard.allowlist`);
after a container is created, what the engine reports is judged again, and a container that
does not pass is removed before anything can start it. The compose CLI and `docker stack
deploy` reach the engine through `tools.guard.engine_proxy`, which re-issues their requests
through this same client, so there is one checker for every path and every host.

Reads pass untouched. Writes are an allow-list of endpoints: one this module does not know is
refused. Objects made outside the product may carry refused options; a call may carry exactly
those over (never add one) inside `carrying(...)`, which the gateway opens for an admin's
approved action only.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import docker

from tools.errors import ErrorCode, PolicyDenied
from tools.guard.allowlist import Checker, Lookups, Rules, Violation, check_service_spec


class BoundaryDenied(PolicyDenied):
    """The engine guard refused a request; `violations` name each refused field."""

    code = ErrorCode.DENIED

    def __init__(self, violations: list[Violation], what: str) -> None:
        self.violations = violations
        reasons = "; ".join(str(v) for v in _unique(violations))
        super().__init__(f"refused by the engine guard ({what}): {reasons}")


def _unique(items: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class Scope:
    """Per-call context: options an admin approved carrying over, extra bind roots."""

    allowances: frozenset[tuple[str, str]] = frozenset()
    extra_roots: tuple[Path, ...] = ()


_SCOPE: contextvars.ContextVar[Scope] = contextvars.ContextVar(
    "engine_scope", default=Scope()  # noqa: B039 - Scope is frozen
)


def current_scope() -> Scope:
    return _SCOPE.get()


@contextlib.contextmanager
def scoped(scope: Scope) -> Iterator[None]:
    token = _SCOPE.set(scope)
    try:
        yield
    finally:
        _SCOPE.reset(token)


@contextlib.contextmanager
def carrying(
    violations: Iterable[Violation] = (), extra_roots: Iterable[Path] = ()
) -> Iterator[None]:
    """Let exactly these (field, value) pairs through, and bind under `extra_roots` too."""
    outer = current_scope()
    with scoped(
        Scope(
            allowances=outer.allowances | {v.key for v in violations},
            extra_roots=(*outer.extra_roots, *extra_roots),
        )
    ):
        yield


# --- routing ----------------------------------------------------------------------------------

_VERSION = re.compile(r"^/v\d+(\.\d+)?(?=/)")
_ID = r"[^/]+"

# Writes that act on what already exists and grant nothing new.
PLAIN_WRITES = tuple(
    re.compile(pattern)
    for pattern in (
        rf"^/containers/{_ID}/(stop|kill|wait|resize|attach|rename|pause|archive)$",
        rf"^/exec/{_ID}/(start|resize)$",
        r"^/images/create$", r"^/images/.+/(tag|push)$", r"^/images/load$", r"^/commit$",
        r"^/(containers|images|networks|volumes|build)/prune$",
        rf"^/networks/{_ID}/disconnect$", r"^/auth$",
        r"^/(secrets|configs)/create$", rf"^/(secrets|configs)/{_ID}/update$",
    )
)  # fmt: skip
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_path(url: str) -> tuple[str, dict[str, list[str]]]:
    """`/containers/create` and the query, from a full SDK URL or a proxied path."""
    parts = urlsplit(url)
    return _VERSION.sub("", parts.path) or "/", parse_qs(parts.query)


def parse_body(data: Any) -> dict[str, Any] | None:
    """The JSON body as sent, or None (no body, or a stream such as a build context)."""
    if data is None or data in (b"", ""):
        return {}
    if isinstance(data, bytes | bytearray | str):
        try:
            body = json.loads(data)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None
    return None


class Boundary:
    """Decides one engine request. `lookups` read the same engine (reads are not judged)."""

    def __init__(self, rules: Callable[[], Rules], lookups: Lookups) -> None:
        self._rules = rules
        self.lookups = lookups

    def checker(self) -> Checker:
        return Checker(self._rules(), self.lookups)

    def check(self, method: str, url: str, data: Any) -> None:
        method = method.upper()
        if method in READ_METHODS or method == "DELETE":
            return
        path, query = request_path(url)
        found, what = self._violations(method, path, query, data)
        allowed = current_scope().allowances
        refused = [v for v in found if v.key not in allowed]
        if refused:
            raise BoundaryDenied(refused, what)

    def _violations(
        self, method: str, path: str, query: dict[str, list[str]], data: Any
    ) -> tuple[list[Violation], str]:
        checker = self.checker()
        scope = current_scope()
        body = parse_body(data)
        if method == "POST" and path == "/build":
            return self._build(query), "image build"
        if method == "PUT" and re.match(rf"^/containers/{_ID}/archive$", path):
            return [], "copy"
        if method != "POST":
            return [Violation(path, method, "unknown engine request; refused")], path
        if any(p.match(path) for p in PLAIN_WRITES):
            return [], path
        if body is None:
            return [Violation(path, "body", "the request body is not JSON; refused")], path
        if path == "/containers/create":
            return checker.container_create(body, scope.extra_roots), "container create"
        match = re.match(rf"^/containers/({_ID})/(start|restart|unpause|update|exec)$", path)
        if match:
            ref, verb = match.groups()
            if verb == "update":
                return checker.container_update(body), "container update"
            if verb == "exec":
                return checker.exec_create(body), "exec"
            if body:
                return [Violation(path, "body", "start options are refused")], verb
            info = self.lookups.container(ref)
            return (existing_container_violations(checker, info) if info else []), verb
        if path == "/volumes/create":
            return checker.volume_create(body), "volume create"
        if path == "/networks/create":
            return checker.network_create(body), "network create"
        match = re.match(rf"^/networks/({_ID})/connect$", path)
        if match:
            return checker.network_ref("network", match.group(1)), "network connect"
        match = re.match(rf"^/services/({_ID})/update$", path)
        if match and (query.get("rollback") or [""])[0] == "previous":
            # The engine applies the service's previous spec, not the body: judge that one.
            info = self.lookups.service(match.group(1)) or {}
            return check_service_spec(checker, info.get("PreviousSpec") or {}), "service rollback"
        if path == "/services/create" or match:
            return check_service_spec(checker, body), "service " + path.rsplit("/", 1)[-1]
        return [Violation(path, method, "not an allowed engine request")], path

    @staticmethod
    def _build(query: Mapping[str, list[str]]) -> list[Violation]:
        mode = (query.get("networkmode") or [""])[0].lower()
        if mode not in ("", "default", "bridge", "none"):
            return [Violation("build.networkmode", mode, "builds on the host network are refused")]
        return []

    def verify_created(self, container_id: str) -> list[Violation]:
        """What the engine reports for a new container, judged as a create (bind roots included):
        catches anything the engine added or resolved differently from what was sent."""
        info = self.lookups.container(container_id)
        if info is None:
            return []
        checker = self.checker()
        host_config = reported_host_config(info)
        host_config.pop("Binds", None)  # judged as Mounts below, as the engine resolved them
        found = checker.host_config(host_config, current_scope().extra_roots)
        roots = (*checker.rules.bind_roots, *current_scope().extra_roots)
        for index, mount in enumerate(info.get("Mounts") or []):
            where = f"Mounts[{index}]"
            if str(mount.get("Type")) == "bind":
                found += checker.host_path(where, str(mount.get("Source") or "/"), roots)
            elif str(mount.get("Type")) == "volume" and mount.get("Name"):
                found += checker.named_volume(where, str(mount["Name"]))
        allowed = current_scope().allowances
        return [v for v in found if v.key not in allowed]


def existing_container_violations(checker: Checker, info: Mapping[str, Any]) -> list[Violation]:
    """What an existing container runs with that the assistant would refuse to create.

    Labels and bind roots are rules for what the assistant creates, so neither counts here;
    sensitive host paths, privileges, namespaces and the rest do.
    """
    anywhere = Checker(
        Rules(
            bind_roots=(Path("/"),),
            protected_paths=checker.rules.protected_paths,
            seccomp_profiles=checker.rules.seccomp_profiles,
            apparmor_profiles=checker.rules.apparmor_profiles,
            allow_container_namespaces=checker.rules.allow_container_namespaces,
            check_symlinks=False,
        ),
        checker.lookups,
    )
    return anywhere.host_config(reported_host_config(info))


def reported_host_config(info: Mapping[str, Any]) -> dict[str, Any]:
    """A HostConfig as the engine reports it, less the defaults it fills in itself: on cgroup
    v1 hosts its default cgroup namespace is the host's (a request for it is still refused)."""
    host_config = dict(info.get("HostConfig") or {})
    if str(host_config.get("CgroupnsMode", "")).lower() == "host":
        host_config.pop("CgroupnsMode")
    return host_config


def existing_service_violations(checker: Checker, spec: Mapping[str, Any]) -> list[Violation]:
    anywhere = Checker(
        Rules(
            bind_roots=(Path("/"),),
            protected_paths=checker.rules.protected_paths,
            check_symlinks=False,
        ),
        checker.lookups,
    )
    return check_service_spec(anywhere, spec)


# --- the client -------------------------------------------------------------------------------


class GuardedAPIClient(docker.APIClient):
    """The SDK's APIClient; every request is judged by `boundary` before it is sent."""

    boundary: Boundary | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        boundary = self.boundary
        verb = method.decode() if isinstance(method, bytes) else str(method)
        target = url.decode() if isinstance(url, bytes) else str(url)
        if boundary is not None:
            boundary.check(verb, target, kwargs.get("data"))
        elif verb.upper() not in READ_METHODS:  # only the version handshake runs before it is set
            raise PolicyDenied("the engine guard is not installed; refusing to write")
        response = super().request(method, url, *args, **kwargs)
        if (
            boundary is not None
            and verb.upper() == "POST"
            and request_path(target)[0] == "/containers/create"
            and (200 <= response.status_code < 300)
        ):
            self._verify_created(boundary, response)
        return response

    def _verify_created(self, boundary: Boundary, response: Any) -> None:
        try:
            container_id = str(response.json()["Id"])
        except (ValueError, KeyError, TypeError):
            return
        refused = boundary.verify_created(container_id)
        if refused:
            with contextlib.suppress(docker.errors.APIError):
                self.remove_container(container_id, force=True, v=True)
            raise BoundaryDenied(refused, "container as created")


def guarded_client(
    boundary_for: Callable[[GuardedAPIClient], Boundary], **kwargs: Any
) -> docker.DockerClient:
    """A DockerClient whose low-level client is guarded (same arguments as APIClient)."""
    api = GuardedAPIClient(**kwargs)
    api.boundary = boundary_for(api)
    client = docker.DockerClient.__new__(docker.DockerClient)
    client.api = api
    return client


def lookups_for(
    api: docker.APIClient, protected: Callable[[dict[str, Any]], str | None]
) -> Lookups:
    """Lookups that read the same engine through `api` (reads pass the boundary untouched)."""

    def reader(fn: Callable[[str], Any]) -> Callable[[str], dict[str, Any] | None]:
        def read(ref: str) -> dict[str, Any] | None:
            try:
                return dict(fn(ref))
            except docker.errors.NotFound:
                return None

        return read

    def writable_binds() -> list[tuple[str, str]]:
        return [
            (str((c.get("Names") or ["?"])[0]).lstrip("/"), str(m.get("Source")))
            for c in api.containers(filters={"status": "running"})
            for m in c.get("Mounts") or []
            if m.get("Type") == "bind" and m.get("RW", True)
        ]

    return Lookups(
        volume=reader(api.inspect_volume),
        network=reader(api.inspect_network),
        container=reader(api.inspect_container),
        service=reader(api.inspect_service),
        protected=protected,
        writable_binds=writable_binds,
    )
