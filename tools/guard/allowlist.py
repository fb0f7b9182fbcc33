"""The hard-denial allow-list: what the engine may be asked to create, field by field.

These are context-free invariants checked on Docker Engine API request bodies, exactly as they
are sent (by the SDK, by the compose CLI, by `docker stack deploy`), not on the product's own
reading of a request. Every field is either known and allowed (possibly only at its default),
or refused with a reason that names it: a field this module does not know is refused, so a new
engine option cannot slip through unnoticed.

`Rules` carries what settings change (bind roots, protected paths, profile exceptions); lookups
(volume and network inspect) are passed in, so the checks stay pure and unit-testable.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.guard.container_config import SAFE_CAPABILITIES, sensitive_path_reason
from tools.labels import RESERVED_LABEL_PREFIX

Lookup = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class Violation:
    """One refused field: `field` is its path in the body, `value` what was sent."""

    field: str
    value: str
    reason: str

    @property
    def key(self) -> tuple[str, str]:
        """What an allowance for an existing object matches: the field and its exact value."""
        return (re.sub(r"\[\d+\]", "", self.field), self.value)

    def __str__(self) -> str:
        value = self.value if len(self.value) <= 80 else self.value[:77] + "..."
        return f"{self.field}={value}: {self.reason}"


@dataclass(frozen=True)
class Rules:
    """What settings decide. `bind_roots` empty: no host binds except `extra_bind_roots` (a
    compose project's own directory, set for that project's run)."""

    bind_roots: tuple[Path, ...] = ()
    protected_paths: tuple[Path, ...] = ()  # the product's state dir, secrets: never bound
    seccomp_profiles: frozenset[str] = frozenset()  # named exceptions, e.g. "builtin"
    apparmor_profiles: frozenset[str] = frozenset({"docker-default"})
    allow_container_namespaces: bool = False  # container:<name> for unprotected containers
    allow_labels: frozenset[str] = frozenset()  # reserved labels the product itself sets
    check_symlinks: bool = True  # off for remote engines: their paths are not ours to lstat


@dataclass
class Lookups:
    volume: Lookup = field(default=lambda name: None)
    network: Lookup = field(default=lambda name: None)
    container: Lookup = field(default=lambda name: None)
    service: Lookup = field(default=lambda name: None)
    protected: Callable[[dict[str, Any]], str | None] = field(default=lambda info: None)
    # (container, host path) of read-write binds of running containers: one of them under a
    # parent of a new bind's source could swap a component for a symlink before the mount.
    writable_binds: Callable[[], list[tuple[str, str]]] = field(default=lambda: [])


def _text(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {}, 0, False)


# --- container create -----------------------------------------------------------------------

# Config fields that only describe the process inside the container.
CONFIG_FREE = frozenset(
    {
        "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
        "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck",
        "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint", "NetworkDisabled",
        "MacAddress", "OnBuild", "StopSignal", "StopTimeout", "Shell",
    }
)  # fmt: skip

# HostConfig fields that are resource limits or in-container settings: any value is safe.
HOST_FREE = frozenset(
    {
        "CpuShares", "Memory", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems",
        "KernelMemory", "KernelMemoryTCP", "MemoryReservation", "MemorySwap",
        "MemorySwappiness", "NanoCpus", "OomKillDisable", "Init", "PidsLimit", "Ulimits",
        "CpuCount", "CpuPercent", "BlkioWeight", "PortBindings", "PublishAllPorts",
        "RestartPolicy", "AutoRemove", "CapDrop", "Dns", "DnsOptions", "DnsSearch",
        "ExtraHosts", "GroupAdd", "Links", "ReadonlyRootfs", "Tmpfs", "ShmSize", "ConsoleSize",
        "Binds", "Mounts", "NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode",
        "CgroupnsMode", "Privileged", "CapAdd", "SecurityOpt", "LogConfig", "Sysctls",
        "OomScoreAdj", "Runtime", "Isolation", "StorageOpt", "MaskedPaths", "ReadonlyPaths",
    }
)  # fmt: skip
# Known fields that are safe only at the engine default (empty / unset).
HOST_DEFAULT_ONLY = {
    "Devices": "passing host devices into a container",
    "DeviceCgroupRules": "device cgroup rules",
    "DeviceRequests": "device requests (GPUs and other host devices)",
    "VolumesFrom": "volumes_from (inherits another container's mounts)",
    "VolumeDriver": "a volume driver plugin",
    "ContainerIDFile": "a container ID file on the host",
    "Cgroup": "joining another cgroup",
    "CgroupParent": "a custom cgroup parent",
    "BlkioWeightDevice": "per-device block IO settings",
    "BlkioDeviceReadBps": "per-device block IO settings",
    "BlkioDeviceWriteBps": "per-device block IO settings",
    "BlkioDeviceReadIOps": "per-device block IO settings",
    "BlkioDeviceWriteIOps": "per-device block IO settings",
    "CpuRealtimePeriod": "real-time CPU scheduling",
    "CpuRealtimeRuntime": "real-time CPU scheduling",
    "IOMaximumIOps": "IO limits (Windows only)",
    "IOMaximumBandwidth": "IO limits (Windows only)",
    "Annotations": "OCI runtime annotations",
    "Capabilities": "a whole capability set",
}
HOST_KNOWN = HOST_FREE | set(HOST_DEFAULT_ONLY)

# The engine's default masked and read-only /proc and /sys paths (present for years): a list
# that leaves one out unmasks it, as `--security-opt systempaths=unconfined` does.
DEFAULT_MASKED = frozenset(
    {
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware",
    }
)  # fmt: skip
DEFAULT_READONLY = frozenset(
    {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)
LOG_DRIVERS = frozenset({"", "json-file", "local", "none", "journald"})
SAFE_SYSCTL_PREFIXES = ("net.", "kernel.shm", "kernel.msg", "kernel.sem", "fs.mqueue.")
SAFE_RUNTIMES = frozenset({"", "runc", "io.containerd.runc.v2"})
NEW_PRIVS_OFF = frozenset({"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"})


class Checker:
    """Judges request bodies against the allow-list; one per engine (its lookups)."""

    def __init__(self, rules: Rules, lookups: Lookups | None = None) -> None:
        self.rules = rules
        self.lookups = lookups or Lookups()

    # --- whole bodies -------------------------------------------------------------------------

    def container_create(
        self, body: Mapping[str, Any], extra_roots: Iterable[Path] = ()
    ) -> list[Violation]:
        problems: list[Violation] = []
        for key, value in body.items():
            if key in ("HostConfig", "NetworkingConfig"):
                continue
            if key == "Labels":
                problems += self.labels("Labels", value)
            elif key not in CONFIG_FREE and not _empty(value):
                problems.append(Violation(key, _text(value), "unknown container option"))
        problems += self.host_config(body.get("HostConfig") or {}, extra_roots)
        problems += self.networking(body.get("NetworkingConfig") or {})
        return problems

    def labels(self, where: str, labels: Any) -> list[Violation]:
        if not isinstance(labels, Mapping):
            return [] if _empty(labels) else [Violation(where, _text(labels), "not a mapping")]
        return [
            Violation(
                f"{where}.{key}",
                _text(value),
                f"labels under {RESERVED_LABEL_PREFIX} are reserved to DockerDeployer",
            )
            for key, value in labels.items()
            if str(key).lower().startswith(RESERVED_LABEL_PREFIX)
            and str(key) not in self.rules.allow_labels
        ]

    def host_config(
        self, hc: Mapping[str, Any], extra_roots: Iterable[Path] = ()
    ) -> list[Violation]:
        problems: list[Violation] = []
        for key, value in hc.items():
            if key in HOST_DEFAULT_ONLY and not _empty(value):
                problems.append(
                    Violation(
                        f"HostConfig.{key}", _text(value), HOST_DEFAULT_ONLY[key] + ": refused"
                    )
                )
            elif key not in HOST_KNOWN and not _empty(value):
                problems.append(
                    Violation(f"HostConfig.{key}", _text(value), "unknown host option; refused")
                )
        problems += self._privileges(hc)
        problems += self._namespaces(hc)
        problems += self._security_opts(hc.get("SecurityOpt"))
        problems += self._kernel_knobs(hc)
        roots = (*self.rules.bind_roots, *extra_roots)
        for index, bind in enumerate(hc.get("Binds") or []):
            problems += self.bind_string(f"HostConfig.Binds[{index}]", str(bind), roots)
        for index, mount in enumerate(hc.get("Mounts") or []):
            problems += self.mount(f"HostConfig.Mounts[{index}]", mount, roots)
        return problems

    def networking(self, config: Mapping[str, Any]) -> list[Violation]:
        problems = []
        for name in (config.get("EndpointsConfig") or {}) if isinstance(config, Mapping) else ():
            problems += self.network_ref(f"NetworkingConfig.EndpointsConfig.{name}", str(name))
        return problems

    # --- pieces -------------------------------------------------------------------------------

    def _privileges(self, hc: Mapping[str, Any]) -> list[Violation]:
        problems = []
        if hc.get("Privileged") not in (None, False):
            problems.append(
                Violation(
                    "HostConfig.Privileged",
                    _text(hc["Privileged"]),
                    "privileged containers are refused",
                )
            )
        for cap in hc.get("CapAdd") or []:
            name = str(cap).strip().upper().removeprefix("CAP_")
            if name not in SAFE_CAPABILITIES:
                problems.append(
                    Violation(
                        "HostConfig.CapAdd", str(cap), f"adding capabilities {name} is refused"
                    )
                )
        return problems

    def _namespaces(self, hc: Mapping[str, Any]) -> list[Violation]:
        problems: list[Violation] = []
        allowed = {
            "NetworkMode": None,  # judged as a network reference below
            "PidMode": {"", "private"},
            "IpcMode": {"", "private", "shareable", "none"},
            "UTSMode": {""},
            "UsernsMode": {""},
            "CgroupnsMode": {"", "private"},
        }
        for key, values in allowed.items():
            raw = hc.get(key)
            value = "" if raw is None else str(raw).strip()
            where = f"HostConfig.{key}"
            if key == "NetworkMode":
                if value.lower() not in ("", "default", "bridge", "none"):
                    problems += self.network_ref(where, value)
            elif value.lower().startswith("container:") and key == "IpcMode":
                problems += self._container_namespace(where, value)
            elif value.lower() == "host":
                label = key.removesuffix("Mode").lower().replace("cgroupns", "cgroup")
                problems.append(
                    Violation(
                        where,
                        value,
                        f"sharing the host's {label} namespace ({label}=host) is refused",
                    )
                )
            elif value.lower().startswith("container:"):
                label = key.removesuffix("Mode").lower()
                problems.append(
                    Violation(
                        where, value, f"sharing another container's {label} namespace is refused"
                    )
                )
            elif value.lower() not in (values or set()):
                problems.append(
                    Violation(where, value, f"{key} other than the engine default is refused")
                )
        return problems

    def network_ref(self, where: str, name: str) -> list[Violation]:
        """A network a container joins: user-defined bridges and overlays, never the host's."""
        lowered = name.strip().lower()
        if lowered == "host":
            return [
                Violation(
                    where, name, "sharing the host's network namespace (network=host) is refused"
                )
            ]
        if lowered.startswith("container:"):
            return self._container_namespace(where, name)
        info = self.lookups.network(name)
        if info is not None and (
            str(info.get("Driver", "")).lower() == "host" or str(info.get("Name", "")) == "host"
        ):
            return [Violation(where, name, f"network {name!r} is the host network; refused")]
        return []

    def _container_namespace(self, where: str, value: str) -> list[Violation]:
        ref = value.split(":", 1)[1].strip()
        if not self.rules.allow_container_namespaces:
            return [
                Violation(
                    where, value,
                    "sharing another container's namespace (container:...) is refused "
                    "(DOCKERDEPLOYER_ALLOW_CONTAINER_NAMESPACES allows it for unprotected ones)",
                )
            ]  # fmt: skip
        info = self.lookups.container(ref)
        reason = self.lookups.protected(info) if info is not None else "it does not exist"
        if reason:
            return [Violation(where, value, f"sharing {ref}'s namespace is refused: {reason}")]
        return []

    def _security_opts(self, opts: Any) -> list[Violation]:
        problems = []
        for opt in opts or []:
            text = str(opt).strip()
            compact = text.replace(" ", "").lower()
            kind, _, profile = text.replace("=", ":", 1).partition(":")
            kind = kind.strip().lower()
            if compact in NEW_PRIVS_OFF:
                continue
            if kind == "seccomp" and profile.strip() in self.rules.seccomp_profiles:
                continue
            if kind == "apparmor" and profile.strip() in self.rules.apparmor_profiles:
                continue
            problems.append(
                Violation(
                    "HostConfig.SecurityOpt", text[:120],
                    "refused: only no-new-privileges and the named seccomp/apparmor "
                    "profiles are allowed (DOCKERDEPLOYER_SECCOMP_PROFILES, "
                    "DOCKERDEPLOYER_APPARMOR_PROFILES)",
                )
            )  # fmt: skip
        return problems

    def _kernel_knobs(self, hc: Mapping[str, Any]) -> list[Violation]:
        problems = []
        for key in hc.get("Sysctls") or {}:
            if not str(key).startswith(SAFE_SYSCTL_PREFIXES):
                problems.append(
                    Violation("HostConfig.Sysctls", str(key), "only namespaced sysctls are allowed")
                )
        score = hc.get("OomScoreAdj")
        if isinstance(score, int) and score < 0:
            problems.append(
                Violation("HostConfig.OomScoreAdj", str(score), "a negative OOM score is refused")
            )
        if str(hc.get("Runtime") or "") not in SAFE_RUNTIMES:
            problems.append(
                Violation("HostConfig.Runtime", str(hc["Runtime"]), "only the default runtime")
            )
        if str(hc.get("Isolation") or "default") != "default":
            problems.append(
                Violation("HostConfig.Isolation", str(hc["Isolation"]), "only the default")
            )
        for key in hc.get("StorageOpt") or {}:
            if key != "size":
                problems.append(
                    Violation("HostConfig.StorageOpt", str(key), "only the size option")
                )
        log = hc.get("LogConfig") or {}
        if str(log.get("Type") or "") not in LOG_DRIVERS:
            problems.append(
                Violation("HostConfig.LogConfig.Type", str(log.get("Type")),
                          f"log drivers allowed: {', '.join(sorted(LOG_DRIVERS - {''}))}")
            )  # fmt: skip
        for key, default in (("MaskedPaths", DEFAULT_MASKED), ("ReadonlyPaths", DEFAULT_READONLY)):
            value = hc.get(key)
            if value is not None and not default <= set(value):
                problems.append(
                    Violation(f"HostConfig.{key}", _text(value),
                              "it unmasks paths the engine masks by default")
                )  # fmt: skip
        return problems

    # --- mounts -------------------------------------------------------------------------------

    def bind_string(self, where: str, bind: str, roots: Iterable[Path]) -> list[Violation]:
        """`source:target[:mode]`: a host path when it starts with '/', else a named volume."""
        source = bind.split(":", 1)[0].strip()
        if source.startswith("/"):
            return self.host_path(where, source, roots)
        if not source or source.startswith((".", "~")):
            return [Violation(where, bind, "a relative host path is refused; use an absolute one")]
        return self.named_volume(where, source)

    def mount(self, where: str, mount: Any, roots: Iterable[Path]) -> list[Violation]:
        if not isinstance(mount, Mapping):
            return [Violation(where, _text(mount), "not a mount object")]
        kind = str(mount.get("Type") or "volume").lower()
        source = str(mount.get("Source") or "")
        problems: list[Violation] = []
        known = {"Type", "Source", "Target", "ReadOnly", "Consistency", "BindOptions",
                 "VolumeOptions", "TmpfsOptions"}  # fmt: skip
        for key in mount:
            if key not in known:
                problems.append(
                    Violation(f"{where}.{key}", _text(mount[key]), "unknown mount option")
                )
        if kind == "bind":
            options = mount.get("BindOptions") or {}
            if str(options.get("Propagation") or "").lstrip("r") in ("shared", "slave"):
                problems.append(
                    Violation(f"{where}.BindOptions.Propagation", str(options["Propagation"]),
                              "shared mount propagation is refused")
                )  # fmt: skip
            return problems + self.host_path(where, source or "/", roots)
        if kind == "volume":
            options = mount.get("VolumeOptions") or {}
            driver = options.get("DriverConfig") or {}
            if not _empty(driver.get("Name")) and driver.get("Name") != "local":
                problems.append(
                    Violation(f"{where}.VolumeOptions.DriverConfig.Name", str(driver["Name"]),
                              "only the local volume driver is allowed")
                )  # fmt: skip
            if not _empty(driver.get("Options")):
                problems.append(
                    Violation(f"{where}.VolumeOptions.DriverConfig.Options",
                              _text(driver["Options"]),
                              f"volume {source or '(anonymous)'}: driver options (device, "
                              "type, o=bind) are refused")
                )  # fmt: skip
            problems += self.labels(f"{where}.VolumeOptions.Labels", options.get("Labels"))
            if options.get("Subpath"):
                problems.append(
                    Violation(f"{where}.VolumeOptions.Subpath", str(options["Subpath"]),
                              "volume subpaths are refused")
                )  # fmt: skip
            return problems + (self.named_volume(where, source) if source else [])
        if kind == "tmpfs":
            return problems
        return problems + [Violation(f"{where}.Type", kind, f"mount type {kind!r} is refused")]

    def named_volume(self, where: str, name: str) -> list[Violation]:
        """An existing volume is only as safe as its options: `o=bind` is a bind in disguise."""
        info = self.lookups.volume(name)
        if info is None:
            return []  # created on first use as a plain local volume
        return [
            Violation(where, name, f"volume {name!r} {reason}")
            for reason in volume_problems(info.get("Driver"), info.get("Options"))
        ]

    def host_path(self, where: str, source: str, roots: Iterable[Path]) -> list[Violation]:
        reason = host_path_reason(
            source, tuple(roots), self.rules.protected_paths, self.rules.check_symlinks
        )
        if reason is None and self.rules.check_symlinks:
            reason = self._swappable(source)
        return [Violation(where, source, reason)] if reason else []

    def _swappable(self, source: str) -> str | None:
        normal = posixpath.normpath(source)
        for name, writable in self.lookups.writable_binds():
            parent = posixpath.normpath(writable)
            if normal != parent and normal.startswith(parent.rstrip("/") + "/"):
                return (
                    f"running container {name} can write to {parent}, a parent of {source}, "
                    "and could swap it for a symlink before the mount; refused"
                )
        return None

    # --- other objects ------------------------------------------------------------------------

    def volume_create(self, body: Mapping[str, Any]) -> list[Violation]:
        problems = [
            Violation(key, _text(value), "unknown volume option")
            for key, value in body.items()
            if key not in ("Name", "Driver", "DriverOpts", "Labels", "ClusterVolumeSpec")
        ]
        if not _empty(body.get("ClusterVolumeSpec")):
            problems.append(Violation("ClusterVolumeSpec", "...", "cluster volumes are refused"))
        problems += self.labels("Labels", body.get("Labels"))
        problems += [
            Violation("DriverOpts", _text(body.get("DriverOpts")), reason)
            for reason in volume_problems(body.get("Driver"), body.get("DriverOpts"))
        ]
        return problems

    def network_create(self, body: Mapping[str, Any]) -> list[Violation]:
        known = {"Name", "CheckDuplicate", "Driver", "Scope", "Internal", "Attachable",
                 "Ingress", "IPAM", "EnableIPv6", "EnableIPv4", "Options", "Labels",
                 "ConfigOnly", "ConfigFrom"}  # fmt: skip
        problems = [
            Violation(key, _text(value), "unknown network option")
            for key, value in body.items()
            if key not in known
        ]
        driver = str(body.get("Driver") or "bridge").lower()
        if driver not in ("bridge", "overlay"):
            problems.append(Violation("Driver", driver, "only bridge and overlay networks"))
        if str(body.get("Name") or "").lower() in ("host", "none", "bridge"):
            problems.append(Violation("Name", str(body.get("Name")), "a reserved network name"))
        for key in body.get("Options") or {}:
            if key not in NETWORK_OPTIONS:
                problems.append(Violation(f"Options.{key}", str(body["Options"][key]),
                                          "unknown network driver option"))  # fmt: skip
        if not _empty(body.get("ConfigFrom")) or body.get("Ingress"):
            problems.append(Violation("ConfigFrom", _text(body.get("ConfigFrom")),
                                      "config-from and ingress networks are refused"))  # fmt: skip
        ipam = body.get("IPAM") or {}
        if str(ipam.get("Driver") or "default") != "default" or not _empty(ipam.get("Options")):
            problems.append(Violation("IPAM", _text(ipam), "only the default IPAM driver"))
        problems += self.labels("Labels", body.get("Labels"))
        return problems

    def exec_create(self, body: Mapping[str, Any]) -> list[Violation]:
        problems = []
        if body.get("Privileged"):
            problems.append(Violation("Privileged", _text(body["Privileged"]),
                                      "privileged exec is refused"))  # fmt: skip
        known = {"AttachStdin", "AttachStdout", "AttachStderr", "ConsoleSize", "DetachKeys",
                 "Container", "Tty", "Env", "Cmd", "Privileged", "User", "WorkingDir"}  # fmt: skip
        problems += [
            Violation(key, _text(value), "unknown exec option")
            for key, value in body.items()
            if key not in known
        ]
        return problems

    def container_update(self, body: Mapping[str, Any]) -> list[Violation]:
        """`docker update`: resource limits and the restart policy only."""
        allowed = {"CpuShares", "Memory", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems",
                   "MemoryReservation", "MemorySwap", "NanoCpus", "PidsLimit", "BlkioWeight",
                   "KernelMemory", "KernelMemoryTCP", "RestartPolicy", "OomKillDisable",
                   "MemorySwappiness", "CpuCount", "CpuPercent"}  # fmt: skip
        return [
            Violation(key, _text(value), "only resource limits and the restart policy can change")
            for key, value in body.items()
            if key not in allowed and not _empty(value)
        ]


NETWORK_OPTIONS = frozenset(
    {
        "com.docker.network.bridge.enable_icc", "com.docker.network.bridge.enable_ip_masquerade",
        "com.docker.network.driver.mtu", "com.docker.network.bridge.host_binding_ipv4",
        "com.docker.network.driver.overlay.vxlanid_list", "encrypted",
    }
)  # fmt: skip


def volume_problems(driver: Any, options: Any) -> list[str]:
    """A volume is safe when it is `local` with no options, or a plain tmpfs."""
    problems = []
    if str(driver or "local") != "local":
        problems.append(f"uses volume driver {driver!r}; only local volumes are allowed")
    opts = dict(options or {})
    if opts and not (
        str(opts.get("type")) == "tmpfs"
        and str(opts.get("device")) == "tmpfs"
        and set(opts) <= {"type", "device", "o"}
        and all(o.split("=")[0] in TMPFS_OPTIONS for o in str(opts.get("o", "")).split(",") if o)
    ):
        shown = ", ".join(f"{k}={v}" for k, v in sorted(opts.items()))
        problems.append(
            f"has driver options {shown} (device, type and o=bind reach the host's "
            "filesystem); only plain local volumes and tmpfs are allowed"
        )
    return problems


TMPFS_OPTIONS = frozenset({"size", "mode", "uid", "gid", "nr_inodes", "noexec", "nosuid", "nodev"})


def host_path_reason(
    source: str,
    roots: tuple[Path, ...],
    protected: Iterable[Path] = (),
    check_symlinks: bool = True,
) -> str | None:
    """Why this host path may not be bound, or None.

    Only canonical paths under a bind root are allowed, with no symlink in any component (so
    what was checked is what the engine mounts), never the product's own state or a parent of
    it, and never a sensitive system tree even if a root is configured above it.
    """
    if not source.startswith("/"):
        return "host paths must be absolute"
    normal = posixpath.normpath(source)
    if normal != source.rstrip("/") and source != "/":
        return f"{source!r} is not canonical (use {normal!r}); refused"
    for path in protected:
        guarded = str(path)
        if (
            normal == guarded
            or guarded.startswith(normal.rstrip("/") + "/")
            or (normal.startswith(guarded + "/"))
        ):
            return f"{source} holds DockerDeployer's own state or secrets; refused"
    reason = sensitive_path_reason(normal)
    if reason:
        return reason
    inside = [
        root for root in roots
        if normal == str(root) or normal.startswith(str(root).rstrip("/") + "/")
    ]  # fmt: skip
    if not inside:
        where = ", ".join(str(r) for r in roots) or "none configured"
        return (
            f"host path {source} is outside the allowed bind roots ({where}); "
            "set DOCKERDEPLOYER_BIND_ROOTS or use a named volume"
        )
    symlink = _symlink_component(normal) if check_symlinks else None
    if symlink:
        return f"{symlink} is a symbolic link; bind the real path"
    return None


def _symlink_component(path: str) -> str | None:
    """The first component of `path` that is a symlink (None when none is, or it is absent)."""
    current = "/"
    for part in [p for p in path.split("/") if p]:
        current = os.path.join(current, part)
        try:
            mode = os.lstat(current).st_mode
        except OSError:
            return None  # does not exist (yet): the engine creates a directory, not a link
        if stat.S_ISLNK(mode):
            return current
    return None


def canonical_roots(paths: Iterable[str | Path]) -> tuple[Path, ...]:
    """Bind roots as real paths (a root that is itself a symlink is taken at its target)."""
    roots = []
    for path in paths:
        text = str(path).strip()
        if text:
            roots.append(Path(os.path.realpath(os.path.expanduser(text))))
    return tuple(roots)


# --- swarm services -------------------------------------------------------------------------

SERVICE_KEYS = frozenset(
    {"Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig", "RollbackConfig", "Networks",
     "EndpointSpec"}
)  # fmt: skip
TASK_KEYS = frozenset(
    {"ContainerSpec", "Resources", "RestartPolicy", "Placement", "Networks", "LogDriver",
     "ForceUpdate", "Runtime"}
)  # fmt: skip
CONTAINER_SPEC_FREE = frozenset(
    {"Image", "Labels", "Command", "Args", "Hostname", "Env", "Dir", "User", "Groups", "TTY",
     "OpenStdin", "ReadOnly", "StopSignal", "StopGracePeriod", "HealthCheck", "Hosts",
     "DNSConfig", "Secrets", "Configs", "Init", "CapabilityDrop", "Ulimits", "Isolation",
     "Mounts", "Privileges", "Sysctls", "CapabilityAdd", "OomScoreAdj"}
)  # fmt: skip


def check_service_spec(checker: Checker, spec: Mapping[str, Any]) -> list[Violation]:
    """A service create/update body: its task's container spec gets the container rules."""
    problems = [
        Violation(key, _text(value), "unknown service option")
        for key, value in spec.items()
        if key not in SERVICE_KEYS
    ]
    problems += checker.labels("Labels", spec.get("Labels"))
    task = spec.get("TaskTemplate") or {}
    problems += [
        Violation(f"TaskTemplate.{key}", _text(value), "unknown or non-container task option")
        for key, value in task.items()
        if key not in TASK_KEYS
    ]
    if str(task.get("Runtime") or "container") != "container":
        problems.append(Violation("TaskTemplate.Runtime", str(task["Runtime"]),
                                  "only container tasks (no plugins)"))  # fmt: skip
    log = task.get("LogDriver") or {}
    if str(log.get("Name") or "") not in LOG_DRIVERS:
        problems.append(Violation("TaskTemplate.LogDriver.Name", str(log.get("Name")),
                                  "log driver not allowed"))  # fmt: skip
    for index, net in enumerate([*(task.get("Networks") or []), *(spec.get("Networks") or [])]):
        target = str((net or {}).get("Target") or "") if isinstance(net, Mapping) else str(net)
        problems += checker.network_ref(f"Networks[{index}]", target)
    cs = task.get("ContainerSpec") or {}
    where = "TaskTemplate.ContainerSpec"
    for key, value in cs.items():
        if key not in CONTAINER_SPEC_FREE:
            problems.append(Violation(f"{where}.{key}", _text(value), "unknown container option"))
    problems += checker.labels(f"{where}.Labels", cs.get("Labels"))
    for cap in cs.get("CapabilityAdd") or []:
        name = str(cap).strip().upper().removeprefix("CAP_")
        if name not in SAFE_CAPABILITIES:
            problems.append(Violation(f"{where}.CapabilityAdd", str(cap),
                                      f"adding capabilities {name} is refused"))  # fmt: skip
    privileges = cs.get("Privileges") or {}
    seccomp = privileges.get("Seccomp") or {}
    if str(seccomp.get("Mode") or "default") != "default":
        problems.append(Violation(f"{where}.Privileges.Seccomp", _text(seccomp),
                                  "only the default seccomp profile"))  # fmt: skip
    apparmor = privileges.get("AppArmor") or {}
    if str(apparmor.get("Mode") or "default") != "default":
        problems.append(Violation(f"{where}.Privileges.AppArmor", _text(apparmor),
                                  "only the default AppArmor profile"))  # fmt: skip
    selinux = privileges.get("SELinuxContext") or {}
    if selinux.get("Disable") or any(selinux.get(k) for k in ("User", "Role", "Type", "Level")):
        problems.append(Violation(f"{where}.Privileges.SELinuxContext", _text(selinux),
                                  "SELinux labels are refused"))  # fmt: skip
    problems += checker._kernel_knobs({"Sysctls": cs.get("Sysctls"),
                                       "OomScoreAdj": cs.get("OomScoreAdj")})  # fmt: skip
    roots = checker.rules.bind_roots
    for index, mount in enumerate(cs.get("Mounts") or []):
        problems += checker.mount(f"{where}.Mounts[{index}]", mount, roots)
    return problems
