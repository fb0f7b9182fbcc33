"""Hard denials for compose projects: a compose file is not a way around the container guard.

Each service of the *resolved* configuration (`docker compose config`: variables substituted,
`extends` merged, relative paths made absolute) is translated to the engine HostConfig keys it
would create its containers with, then judged by the same allow-list (`Checker.host_config`) as
`run_container`. Both output dialects are understood: Compose v1 (short volume strings,
`volumes_from: [service:web:rw]`) and v2 (long syntax everywhere, top-level `name:`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tools.guard.allowlist import NETWORK_OPTIONS, Checker, volume_problems

# Values here are data the container sees, not things the engine mounts or grants.
_NOT_MOUNT_KEYS = frozenset(
    {"environment", "labels", "command", "entrypoint", "healthcheck", "container_name"}
)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _namespace(value: Any) -> str | None:
    """Compose's `service:x` sharing is the engine's `container:x`."""
    if value is None:
        return None
    text = str(value).strip()
    return "container:" + text[len("service:") :] if text.startswith("service:") else text


def _volume_name(key: str, definition: dict[str, Any], project: str | None) -> str:
    """The engine name of a top-level volume: `name:`, the external name, or project_key."""
    if definition.get("name"):
        return str(definition["name"])
    external = definition.get("external")
    if isinstance(external, dict) and external.get("name"):
        return str(external["name"])
    if _truthy(external):
        return key
    return f"{project}_{key}" if project else key


def _named_volume_mount(
    source: str, top_volumes: dict[str, Any], project: str | None
) -> dict[str, Any]:
    definition = top_volumes.get(source)
    if not isinstance(definition, dict):
        definition = {}
    return {
        "Type": "volume",
        "Source": _volume_name(source, definition, project),
        "VolumeOptions": {"DriverConfig": {"Options": definition.get("driver_opts") or {}}},
    }


def _is_host_path(source: str) -> bool:
    return source.startswith(("/", ".", "~"))


def _volumes(
    service: dict[str, Any], top_volumes: dict[str, Any], project: str | None
) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Binds, Mounts and extra problems from a service's `volumes`, short or long syntax."""
    binds: list[str] = []
    mounts: list[dict[str, Any]] = []
    problems: list[str] = []
    for entry in _as_list(service.get("volumes")):
        if isinstance(entry, str):
            source, sep, rest = entry.partition(":")
            if not sep:
                continue  # `- /data`: an anonymous volume
            if _is_host_path(source):
                binds.append(f"{os.path.expanduser(source)}:{rest}")
            else:
                mounts.append(_named_volume_mount(source, top_volumes, project))
        elif isinstance(entry, dict):
            kind = str(entry.get("type") or "volume").lower()
            source = str(entry.get("source") or "")
            if kind == "bind":
                mounts.append({"Type": "bind", "Source": os.path.expanduser(source) or "/"})
            elif kind == "volume":
                if source:
                    mounts.append(_named_volume_mount(source, top_volumes, project))
            elif kind == "npipe":
                problems.append(f"named pipe mounts ({source}) are refused")
            elif kind not in ("tmpfs", "image"):
                problems.append(f"volume type {kind!r} is refused")
    return binds, mounts, problems


def _file_refs(
    service: dict[str, Any], key: str, top_level: dict[str, Any]
) -> Iterator[tuple[str, str]]:
    """(name, host file) for each secret/config the service uses that is a host file
    (outside Swarm, compose bind-mounts these into the container)."""
    for ref in _as_list(service.get(key)):
        name = ref.get("source") if isinstance(ref, dict) else ref
        definition = top_level.get(str(name)) if name is not None else None
        if isinstance(definition, dict) and definition.get("file"):
            yield str(name), str(definition["file"])


def _strings(value: Any, skip: frozenset[str] = frozenset()) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def service_host_config(
    service: dict[str, Any], config: dict[str, Any], project: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The HostConfig a service's containers would get (the keys the guard judges), and
    problems that have no HostConfig key (secret files, env files, odd mount types)."""
    top_volumes = config.get("volumes") or {}
    binds, mounts, problems = _volumes(service, top_volumes, project)
    for key in ("secrets", "configs"):
        for name, file in _file_refs(service, key, config.get(key) or {}):
            binds.append(f"{file}:/run/{key}/{name}")
    host_config: dict[str, Any] = {
        "Privileged": _truthy(service.get("privileged")),
        "CapAdd": [str(c) for c in _as_list(service.get("cap_add"))],
        "NetworkMode": service.get("network_mode"),
        "PidMode": _namespace(service.get("pid")),
        "IpcMode": service.get("ipc"),
        "UTSMode": service.get("uts"),
        "UsernsMode": service.get("userns_mode"),
        "CgroupnsMode": service.get("cgroup"),
        "Devices": _as_list(service.get("devices")),
        "DeviceCgroupRules": _as_list(service.get("device_cgroup_rules")),
        "SecurityOpt": [str(o) for o in _as_list(service.get("security_opt"))],
        "VolumesFrom": _as_list(service.get("volumes_from")),
        "Binds": binds,
        "Mounts": mounts,
    }
    return host_config, problems


def compose_violations(
    config: dict[str, Any],
    checker: Checker,
    project: str | None = None,
    project_dir: Path | None = None,
) -> list[str]:
    """Every reason this resolved compose configuration is refused (empty when acceptable).

    This is the approval card's early answer; what the compose CLI then sends is judged again
    at the engine boundary. `project` names the engine volumes compose would create
    (`<project>_<volume>`) so an existing one is looked up; `project_dir` may be bound.
    """
    config = config if isinstance(config, dict) else {}
    project = project or (str(config["name"]) if config.get("name") else None)
    roots = (project_dir,) if project_dir else ()
    problems: list[str] = []
    services = config.get("services") or {}
    for name, service in sorted(services.items(), key=lambda item: str(item[0])):
        if not isinstance(service, dict):
            continue
        host_config, extra = service_host_config(service, config, project)
        found = [str(v) for v in checker.host_config(host_config, roots)] + extra
        found += [str(v) for v in checker.labels("labels", service.get("labels"))]
        if not any("docker.sock" in reason.lower() or "socket" in reason for reason in found):
            for text in _strings(service, _NOT_MOUNT_KEYS):
                if "docker.sock" in text.lower():
                    found.append(f"mentions the Docker socket ({text}); refused")
                    break
        problems += [f"service {name}: {reason}" for reason in _unique(found)]
    for key, definition in sorted((config.get("volumes") or {}).items()):
        if isinstance(definition, dict):
            engine_name = _volume_name(str(key), definition, project)
            for reason in volume_problems(definition.get("driver"), definition.get("driver_opts")):
                problems.append(f"volume {engine_name}: {reason}")
            problems += [f"volume {engine_name}: {v}" for v in
                         checker.labels("labels", definition.get("labels"))]  # fmt: skip
    for key, definition in sorted((config.get("networks") or {}).items()):
        problems += _network_problems(str(key), definition, checker, project)
    return _unique(problems)


def _network_problems(
    key: str, definition: Any, checker: Checker, project: str | None
) -> list[str]:
    definition = definition if isinstance(definition, dict) else {}
    external = definition.get("external")
    name = str(
        definition.get("name")
        or (external.get("name") if isinstance(external, dict) else None)
        or (key if _truthy(external) else f"{project}_{key}" if project else key)
    )
    problems = [f"network {key}: {v.reason}" for v in checker.network_ref("network", name)]
    driver = str(definition.get("driver") or "bridge").lower()
    if not _truthy(external) and driver not in ("bridge", "overlay"):
        problems.append(f"network {key}: driver {driver!r} is refused (bridge or overlay only)")
    for option in definition.get("driver_opts") or {}:
        if option not in NETWORK_OPTIONS:
            problems.append(f"network {key}: driver option {option!r} is refused")
    problems += [f"network {key}: {v}" for v in checker.labels("labels", definition.get("labels"))]
    return problems


# Keys of a compose file whose values are host files the compose CLI reads or sends.
_FILE_KEYS = ("env_file", "extends", "build", "label_file")


def raw_file_problems(raw: Any, project_dir: Path) -> list[str]:
    """Host files the compose file makes the CLI read (env files, extends, build contexts,
    secret and config files) must be inside the project directory. Compose v1 inlines env
    files into `config` output, so this reads the file as written. Paths with variables are
    refused: they could expand to anywhere."""
    if not isinstance(raw, dict):
        return []
    problems: list[str] = []
    root = Path(os.path.realpath(project_dir))
    for name, service in (raw.get("services") or {}).items():
        if not isinstance(service, dict):
            continue
        for key in _FILE_KEYS:
            for path in _paths(key, service.get(key)):
                reason = _outside(path, root)
                if reason:
                    problems.append(f"service {name}: {key} {path!r} {reason}")
    for kind in ("secrets", "configs"):
        for name, definition in (raw.get(kind) or {}).items():
            if isinstance(definition, dict) and definition.get("file") is not None:
                reason = _outside(str(definition["file"]), root)
                if reason:
                    problems.append(f"{kind} {name}: file {definition['file']!r} {reason}")
    for include in _as_list(raw.get("include")):
        for path in _paths("include", include):
            reason = _outside(path, root)
            if reason:
                problems.append(f"include {path!r} {reason}")
    return problems


def _paths(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if key in ("extends",) and isinstance(value, dict):
        return [str(value["file"])] if value.get("file") else []
    if key == "build":
        if isinstance(value, dict):
            found = [str(value.get("context") or ".")]
            dockerfile = value.get("dockerfile")
            if dockerfile and str(dockerfile).startswith(("/", "~", "$")):
                found.append(str(dockerfile))
            return found
        return [str(value)]
    if key == "include" and isinstance(value, dict):
        return [str(p) for p in _as_list(value.get("path"))]
    if isinstance(value, dict):
        return [str(value["path"])] if value.get("path") else []
    return [str(item.get("path") if isinstance(item, dict) else item) for item in _as_list(value)]


def _outside(path: str, root: Path) -> str | None:
    if "$" in path:
        return "uses a variable; file paths must be literal"
    if "://" in path or path.startswith("git@"):
        return None  # a remote build context: nothing on this host is read
    full = Path(os.path.realpath(root / os.path.expanduser(path)))
    if full != root and not full.is_relative_to(root):
        return f"is outside the project directory {root}; refused"
    return None


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# Service keys a person should see on the approval card even when the allow-list accepts them:
# they change what the container can reach or do beyond image, ports and mounts.
_NOTABLE_KEYS = (
    "cap_add", "cap_drop", "security_opt", "sysctls", "network_mode", "ipc", "pid", "user",
    "userns_mode", "tmpfs", "shm_size", "ulimits", "extra_hosts", "dns", "devices",
    "group_add", "read_only", "init", "runtime", "cgroup_parent", "logging", "secrets",
    "configs", "env_file", "build", "external_links", "links", "volumes_from",
)  # fmt: skip


def notable_options(config: dict[str, Any], names: list[str]) -> list[str]:
    """Card lines for everything unusual in the chosen services and the file's top level:
    nothing a person approves stays hidden in the compose file."""
    lines = []
    services = config.get("services") or {}
    for name in names:
        service = services.get(name) or {}
        for key in _NOTABLE_KEYS:
            if service.get(key) not in (None, [], {}, ""):
                lines.append(f"service {name}: {key} {_brief(service[key])}")
    for kind in ("networks", "volumes"):
        for key, definition in sorted((config.get(kind) or {}).items()):
            if not isinstance(definition, dict):
                continue
            shown = {k: v for k, v in definition.items() if k not in ("labels",) and v}
            if shown:
                lines.append(f"{kind[:-1]} {key}: {_brief(shown)}")
    return lines


def _brief(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
