"""Connecting to a Docker engine, and turning the SDK's failures into readable typed errors.

Connection follows the docker SDK's own conventions (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`,
`DOCKER_CERT_PATH`, `ssh://`); an explicit URL overrides them.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import docker
import docker.errors
import docker.utils
import requests

from tools.errors import (
    Conflict,
    ContainerNotFound,
    DockerDeployerError,
    EngineError,
    EnginePermissionDenied,
    EngineTimeout,
    EngineUnavailable,
    ImageNotFound,
    InvalidArguments,
    NotFound,
)
from tools.guard.allowlist import Rules
from tools.guard.boundary import Boundary, GuardedAPIClient, guarded_client, lookups_for

DEFAULT_SOCKET = "/var/run/docker.sock"


def socket_path(host: str | None) -> str | None:
    """The unix socket a host URL points at, or None for tcp/ssh engines."""
    url = host or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    parsed = urlparse(url)
    if parsed.scheme in ("unix", "http+unix"):
        return parsed.path or DEFAULT_SOCKET
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def permission_fix(sock: str) -> str:
    """The exact fix for a socket this process may not open (same text in doctor and health)."""
    try:
        gid = os.stat(sock).st_gid
    except OSError:
        return f"Check that {sock} exists and that the Docker engine is running."
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        group = str(gid)
    compose = (
        f"The socket {sock} belongs to group {group} (gid {gid}). In compose, add to the "
        f'service: group_add: ["{gid}"] (export DOCKER_GID=$(stat -c %g {sock}))'
    )
    if os.path.exists("/.dockerenv"):  # inside a container only group_add can help
        return compose + ". Do not run the assistant as root to get around this."
    return (
        f"{compose}; on a host, add the user to that group: sudo usermod -aG {group} "
        f"{_user_name()} (then log in again). Do not run the assistant as root to get around this."
    )


def _user_name() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def unreachable_error(exc: BaseException, host: str | None) -> EngineUnavailable:
    """Classify a connection failure: permission, missing socket, refused, or other."""
    sock = socket_path(host)
    where = sock or host or os.environ.get("DOCKER_HOST", "")
    for cause in _chain(exc):
        if isinstance(cause, PermissionError):
            return EnginePermissionDenied(
                f"Permission denied opening the Docker socket {where}. "
                + permission_fix(sock or DEFAULT_SOCKET)
            )
        if isinstance(cause, FileNotFoundError):
            return EngineUnavailable(
                f"No Docker socket at {where}: the engine is not running or DOCKER_HOST points "
                "elsewhere. Start it (systemctl start docker, or dockerd &) and retry."
            )
        if isinstance(cause, ConnectionRefusedError):
            return EngineUnavailable(
                f"The Docker engine at {where} refused the connection: it is not running."
            )
    return EngineUnavailable(f"Cannot reach the Docker engine at {where}: {_short(exc)}")


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _api_message(exc: docker.errors.APIError) -> str:
    explanation = exc.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return str(explanation or exc).strip()


def translate(exc: BaseException, host: str | None = None) -> DockerDeployerError:
    """Map a docker SDK / transport exception to our tree."""
    if isinstance(exc, DockerDeployerError):
        return exc
    if isinstance(exc, docker.errors.ImageNotFound):
        return ImageNotFound(_api_message(exc))
    if isinstance(exc, docker.errors.NotFound):
        message = _api_message(exc)
        if "container" in message.lower():
            return ContainerNotFound(message)
        return NotFound(message)
    if isinstance(exc, docker.errors.APIError):
        message = _api_message(exc)
        lowered = message.lower()
        if exc.status_code == 409 or "port is already allocated" in lowered or (
            "address already in use" in lowered
        ):
            return Conflict(message)
        if exc.status_code == 400:
            return InvalidArguments(message)
        return EngineError(message)
    # The SDK wraps a timeout during API version negotiation in a DockerException.
    if any(isinstance(cause, requests.exceptions.Timeout) for cause in _chain(exc)):
        return EngineTimeout(
            f"The Docker engine at {host or 'the default socket'} did not answer in time."
        )
    if isinstance(exc, requests.exceptions.ConnectionError | docker.errors.DockerException):
        return unreachable_error(exc, host)
    if isinstance(exc, OSError):
        return unreachable_error(exc, host)
    raise exc


@contextlib.contextmanager
def engine_errors(host: str | None = None) -> Iterator[None]:
    """Translate anything the SDK raises inside the block."""
    try:
        yield
    except DockerDeployerError:
        raise
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise translate(exc, host) from exc


class Engine:
    """A lazily connected, guarded engine: the product starts (and reports why) even when the
    engine is down, and every request it sends passes the engine boundary's allow-list.

    The SDK negotiates the API version on construction, which needs the engine; so the client
    is made on first use and retried on the next use after a failure. `rules` (bind roots,
    protected paths) are set by the composition root from settings; the default is the
    strictest (no host binds at all).
    """

    def __init__(self, host: str | None = None, timeout: float = 30.0, name: str = "local"):
        self.host = host
        self.timeout = timeout
        self.name = name
        self.rules = Rules(check_symlinks=is_local(host))
        self.protected: Callable[[dict[str, Any]], str | None] = lambda info: None
        self._client: docker.DockerClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_client(cls, client: docker.DockerClient, name: str = "local") -> Engine:
        """An engine reaching the same daemon as `client` (through our own guarded client: a
        client made elsewhere is never used to write)."""
        return cls(host=client_url(client.api), timeout=client.api.timeout, name=name)

    def _boundary(self, api: GuardedAPIClient) -> Boundary:
        lookups = lookups_for(api, lambda info: self.protected(info))
        return Boundary(lambda: self.rules, lookups)

    @property
    def client(self) -> docker.DockerClient:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is None:
                with engine_errors(self.host):
                    kwargs: dict[str, Any] = (
                        {"base_url": self.host} if self.host else docker.utils.kwargs_from_env()
                    )
                    self._client = guarded_client(
                        self._boundary, version="auto", timeout=int(self.timeout), **kwargs
                    )
            return self._client

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def is_local(host: str | None) -> bool:
    """A unix-socket engine on this machine: host paths it binds are paths we can check."""
    url = host or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    return urlparse(url).scheme in ("unix", "http+unix", "npipe")


def client_url(api: docker.APIClient) -> str:
    """The DOCKER_HOST-style URL a client talks to (the SDK keeps a placeholder for sockets)."""
    base = str(api.base_url)
    if base.startswith("http+docker://"):
        adapter = api.get_adapter(base)
        socket = getattr(adapter, "socket_path", None)
        if socket:
            return f"unix://{socket}"
        ssh_host = getattr(adapter, "ssh_host", None)
        if ssh_host:
            return ssh_host if str(ssh_host).startswith("ssh://") else f"ssh://{ssh_host}"
        return os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    for scheme in ("http://", "https://"):
        if base.startswith(scheme):
            return "tcp://" + base[len(scheme) :]
    return base


@dataclass
class SocketInfo:
    path: str
    exists: bool
    owner: str = ""
    group: str = ""
    gid: int | None = None
    mode: str = ""
    accessible: bool = False


@dataclass
class Diagnosis:
    """What `doctor` and `/api/health` report."""

    reachable: bool
    host: str
    version: str | None = None
    api_version: str | None = None
    platform: str | None = None
    problem: str | None = None
    fix: str | None = None
    user: str = field(default_factory=_user_name)
    uid: int = field(default_factory=os.getuid)
    groups: list[str] = field(default_factory=list)
    socket: SocketInfo | None = None


def _group_names(gids: list[int]) -> list[str]:
    names = []
    for gid in gids:
        try:
            names.append(f"{grp.getgrgid(gid).gr_name}({gid})")
        except KeyError:
            names.append(str(gid))
    return names


def _socket_info(path: str) -> SocketInfo:
    try:
        st = os.stat(path)
    except OSError:
        return SocketInfo(path=path, exists=False)
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return SocketInfo(
        path=path,
        exists=True,
        owner=owner,
        group=group,
        gid=st.st_gid,
        mode=stat.filemode(st.st_mode),
        accessible=os.access(path, os.R_OK | os.W_OK),
    )


def diagnose(engine: Engine) -> Diagnosis:
    """Ping the engine and explain, with the exact fix, why it does not answer."""
    sock = socket_path(engine.host)
    host = engine.host or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
    diagnosis = Diagnosis(
        reachable=False,
        host=host,
        groups=_group_names(sorted(set(os.getgroups()) | {os.getgid()})),
        socket=_socket_info(sock) if sock else None,
    )
    try:
        with engine_errors(engine.host):
            version = engine.api.version()
    except DockerDeployerError as exc:
        diagnosis.problem = exc.message
        if isinstance(exc, EnginePermissionDenied) and sock:
            diagnosis.problem = f"Permission denied opening the Docker socket {sock}"
            diagnosis.fix = permission_fix(sock)
        elif sock and not (diagnosis.socket and diagnosis.socket.exists):
            diagnosis.fix = "Start the Docker engine (systemctl start docker, or run dockerd)."
        else:
            diagnosis.fix = "Check that the engine is running and DOCKER_HOST is right."
        engine.close()
        return diagnosis
    diagnosis.reachable = True
    diagnosis.version = str(version.get("Version"))
    diagnosis.api_version = str(version.get("ApiVersion"))
    diagnosis.platform = f"{version.get('Os')}/{version.get('Arch')}"
    return diagnosis
