"""Hard denials on what a container would be created with, whatever role or approval.

Checks run on the engine's own HostConfig keys (what is actually sent), on values rather than
key presence: the SDK sends `Privileged: false` on every create, and that is fine. Every path
that creates containers (run_container, compose, service updates) funnels through
`host_config_violations`.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from typing import Any

# Docker's default capability set: adding one of these changes nothing dangerous.
SAFE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
        "NET_BIND_SERVICE", "NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    }
)  # fmt: skip

# A bind of any path under these gives the container the host (or its engine).
SENSITIVE_TREES = (
    "/etc", "/proc", "/sys", "/boot", "/dev", "/root", "/usr", "/bin", "/sbin", "/lib",
    "/lib64", "/var/lib/docker", "/var/lib/containerd", "/run", "/var/run",
)  # fmt: skip
SOCKETS = ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock")
UNCONFINED_SECURITY_OPTS = {
    "seccomp=unconfined", "seccomp:unconfined", "apparmor=unconfined", "apparmor:unconfined",
    "label=disable", "label:disable", "systempaths=unconfined",
}  # fmt: skip

VolumeLookup = Callable[[str], dict[str, Any] | None]


def _normalise(path: str) -> str:
    path = posixpath.normpath("/" + path.strip().lstrip("/")) if path.strip() else "/"
    return "/" if path in ("//", "") else path


def sensitive_path_reason(path: str) -> str | None:
    """Why binding this host path is refused, or None when it is fine."""
    candidates = {_normalise(path)}
    try:
        # Same-host engines: a symlink to /etc is /etc. For remote engines this is a no-op.
        candidates.add(_normalise(os.path.realpath(path)))
    except (OSError, ValueError):
        pass
    for candidate in candidates:
        if candidate.endswith(".sock") and "docker" in candidate:
            return f"mounting the Docker socket ({path}) gives root on the host"
        if candidate == "/":
            return "binding the host's root filesystem / is refused"
        for socket in SOCKETS:
            if socket.startswith(candidate.rstrip("/") + "/"):
                return f"binding {path} exposes the Docker socket {socket}"
        for tree in SENSITIVE_TREES:
            if candidate == tree or candidate.startswith(tree + "/"):
                return f"binding host path {path} (under {tree}) is refused"
            # A parent brings the whole tree with it: /var/lib holds /var/lib/docker.
            if tree.startswith(candidate.rstrip("/") + "/"):
                return f"binding host path {path} exposes {tree}; refused"
    return None


def _cap(name: str) -> str:
    name = name.strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def bind_volume_reason(name: str, options: dict[str, Any] | None) -> str | None:
    """A local volume created with `o=bind` is a bind mount in disguise."""
    if not options:
        return None
    mount_opts = {o.strip() for o in str(options.get("o", "")).split(",")}
    if "bind" in mount_opts or "rbind" in mount_opts or options.get("type") == "none":
        device = str(options.get("device") or "")
        reason = sensitive_path_reason(device) if device else "it has no device path"
        if reason:
            return f"volume {name!r} is a bind of a host path: {reason}"
    return None


def _binds(binds: Iterable[str], lookup: VolumeLookup | None) -> list[str]:
    problems = []
    for bind in binds:
        source = str(bind).split(":", 1)[0].strip()
        if source.startswith("/") or source.startswith("."):
            reason = sensitive_path_reason(source)
        elif lookup is not None:
            volume = lookup(source)
            reason = bind_volume_reason(source, (volume or {}).get("Options")) if volume else None
        else:
            reason = None
        if reason:
            problems.append(reason)
    return problems


def _mounts(mounts: Iterable[dict[str, Any]], lookup: VolumeLookup | None) -> list[str]:
    problems = []
    for mount in mounts:
        kind = str(mount.get("Type", "volume")).lower()
        source = str(mount.get("Source") or "")
        if kind == "bind":
            reason = sensitive_path_reason(source or "/")
        elif kind == "volume":
            driver = (mount.get("VolumeOptions") or {}).get("DriverConfig") or {}
            reason = bind_volume_reason(source, driver.get("Options"))
            if reason is None and source and lookup is not None:
                volume = lookup(source)
                reason = bind_volume_reason(source, (volume or {}).get("Options"))
        else:
            reason = None
        if reason:
            problems.append(reason)
    return problems


def host_config_violations(
    host_config: dict[str, Any], volume_lookup: VolumeLookup | None = None
) -> list[str]:
    """Every reason this HostConfig is refused (empty when it is acceptable)."""
    hc = host_config or {}
    problems: list[str] = []
    if hc.get("Privileged"):
        problems.append("privileged containers are refused")
    unsafe = sorted({_cap(c) for c in hc.get("CapAdd") or []} - SAFE_CAPABILITIES)
    if unsafe:
        problems.append(f"adding capabilities {', '.join(unsafe)} is refused")
    for key, label in (
        ("NetworkMode", "network"),
        ("PidMode", "pid"),
        ("IpcMode", "ipc"),
        ("UTSMode", "uts"),
        ("UsernsMode", "userns"),
        ("CgroupnsMode", "cgroupns"),
    ):
        value = str(hc.get(key) or "").strip().lower()
        if value == "host":
            problems.append(f"sharing the host's {label} namespace ({label}=host) is refused")
        elif key == "PidMode" and value.startswith("container:"):
            problems.append("sharing another container's pid namespace is refused")
    if hc.get("Devices"):
        problems.append("passing host devices into a container is refused")
    if hc.get("DeviceCgroupRules"):
        problems.append("device cgroup rules are refused")
    for opt in hc.get("SecurityOpt") or []:
        if str(opt).strip().lower().replace(" ", "") in UNCONFINED_SECURITY_OPTS:
            problems.append(f"security option {opt!r} is refused")
    if hc.get("VolumesFrom"):
        problems.append("volumes_from is refused (it inherits another container's mounts)")
    problems += _binds(hc.get("Binds") or [], volume_lookup)
    problems += _mounts(hc.get("Mounts") or [], volume_lookup)
    return problems
