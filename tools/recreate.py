"""Recreate a container with another image, keeping its configuration.

What to carry over is computed against the *old image's* defaults: a command, entrypoint, env
var or label that merely came from the old image must not be forced onto the new one (that is
how `docker compose` and `watchtower` behave too). Anonymous volumes are carried by name so the
data stays with the service.
"""

from __future__ import annotations

from typing import Any

# HostConfig keys that describe how the container runs; copied as they are.
KEPT_HOST_CONFIG = (
    "Binds", "Mounts", "PortBindings", "RestartPolicy", "NetworkMode", "Memory", "MemorySwap",
    "NanoCpus", "CpuShares", "CpuQuota", "CpuPeriod", "CapAdd", "CapDrop", "Devices",
    "Privileged", "SecurityOpt", "ExtraHosts", "Dns", "DnsSearch", "LogConfig", "Init",
    "ReadonlyRootfs", "Tmpfs", "ShmSize", "Ulimits", "VolumesFrom", "PidMode", "IpcMode",
    "UTSMode", "UsernsMode", "GroupAdd", "Sysctls", "PublishAllPorts", "AutoRemove",
)  # fmt: skip


def _own(value: Any, image_default: Any) -> Any:
    """The container's own setting, or None when it only inherited the image's default."""
    return None if value == image_default else value


def clone_config(
    container: dict[str, Any], old_image: dict[str, Any], new_image_ref: str
) -> dict[str, Any]:
    """`create_container` keyword arguments for a replacement of `container`."""
    config = container.get("Config") or {}
    defaults = old_image.get("Config") or {}
    image_env = set(defaults.get("Env") or [])
    image_labels = defaults.get("Labels") or {}
    host_config = {
        key: value
        for key, value in (container.get("HostConfig") or {}).items()
        if key in KEPT_HOST_CONFIG and value not in (None, [], {}, "")
    }
    binds = list(host_config.get("Binds") or [])
    covered = {b.split(":")[1] for b in binds if ":" in b}
    for mount in container.get("Mounts") or []:
        if mount.get("Type") == "volume" and mount.get("Name") and (
            mount.get("Destination") not in covered
        ):
            mode = "" if mount.get("RW", True) else ":ro"
            binds.append(f"{mount['Name']}:{mount['Destination']}{mode}")
    if binds:
        host_config["Binds"] = binds
    image_ports = set(defaults.get("ExposedPorts") or {})
    exposed = sorted(set(config.get("ExposedPorts") or {}) - image_ports)
    kwargs: dict[str, Any] = {
        "image": new_image_ref,
        "command": _own(config.get("Cmd"), defaults.get("Cmd")),
        "entrypoint": _own(config.get("Entrypoint"), defaults.get("Entrypoint")),
        "environment": [e for e in config.get("Env") or [] if e not in image_env],
        "labels": {k: v for k, v in (config.get("Labels") or {}).items()
                   if image_labels.get(k) != v},  # fmt: skip
        "working_dir": _own(config.get("WorkingDir"), defaults.get("WorkingDir")),
        "user": _own(config.get("User"), defaults.get("User")),
        "healthcheck": _own(config.get("Healthcheck"), defaults.get("Healthcheck")),
        "hostname": None,
        "ports": [_port(p) for p in exposed] or None,
        "host_config": host_config,
        "detach": True,
    }
    return {k: v for k, v in kwargs.items() if v not in (None, "", [], {})} | {
        "host_config": host_config
    }


def _port(spec: str) -> tuple[int, str]:
    number, _, proto = spec.partition("/")
    return int(number), proto or "tcp"


def extra_networks(container: dict[str, Any]) -> dict[str, list[str]]:
    """Networks beyond the primary one, with their user-given aliases (not the old short ID)."""
    primary = (container.get("HostConfig") or {}).get("NetworkMode", "default")
    short_id = str(container.get("Id", ""))[:12]
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        name: [a for a in (settings or {}).get("Aliases") or [] if a != short_id]
        for name, settings in networks.items()
        if name != primary and not (primary == "default" and name == "bridge")
    }
