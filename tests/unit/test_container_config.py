"""Hard denials on container options: checked on the values the engine would receive.

Host binds are judged here with a bind root of `/`, so only the sensitive-path rules speak;
tests/unit/test_allowlist.py covers bind roots and the rest of the allow-list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.guard.allowlist import Checker, Lookups, Rules
from tools.guard.container_config import sensitive_path_reason

BIND_VOLUME = {"type": "none", "o": "bind", "device": "/etc"}


def violations(lookup: Any = None, **host_config: Any) -> list[str]:
    lookups = Lookups(volume=lookup) if lookup else Lookups()
    checker = Checker(Rules(bind_roots=(Path("/"),)), lookups)
    return [str(v) for v in checker.host_config(host_config)]


# --- privileged, capabilities, namespaces, devices, security options ----------------------------


def test_privileged_true_is_denied_and_false_is_allowed():
    assert violations(Privileged=True) == [
        "HostConfig.Privileged=True: privileged containers are refused"
    ]
    # The SDK sends Privileged: false on every create: the value counts, not the key.
    assert violations(Privileged=False) == []


@pytest.mark.parametrize("cap", ["SYS_ADMIN", "SYS_MODULE", "ALL", "cap_sys_admin", " sys_ptrace "])
def test_dangerous_capabilities_are_denied(cap):
    [problem] = violations(CapAdd=[cap])
    assert "adding capabilities" in problem
    assert cap.strip().upper().removeprefix("CAP_") in problem


@pytest.mark.parametrize("cap", ["NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE", "chown"])
def test_default_capabilities_are_allowed(cap):
    assert violations(CapAdd=[cap]) == []


@pytest.mark.parametrize(
    "key", ["NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode", "CgroupnsMode"]
)
@pytest.mark.parametrize("value", ["host", "HOST", " Host "])
def test_host_namespaces_are_denied_whatever_the_case(key, value):
    [problem] = violations(**{key: value})
    assert "=host) is refused" in problem


def test_sharing_another_containers_pid_namespace_is_denied():
    [problem] = violations(PidMode="container:db")
    assert "pid namespace" in problem


@pytest.mark.parametrize("mode", ["default", "bridge", "my-net", "", None])
def test_ordinary_network_modes_are_allowed(mode):
    assert violations(NetworkMode=mode) == []


@pytest.mark.parametrize("mode", ["private", "", None])
def test_ordinary_namespace_modes_are_allowed(mode):
    assert violations(IpcMode=mode, PidMode=mode) == []


def test_devices_and_device_cgroup_rules_are_denied():
    device = {"PathOnHost": "/dev/sda", "PathInContainer": "/dev/sda", "CgroupPermissions": "rwm"}
    [problem] = violations(Devices=[device])
    assert "passing host devices into a container" in problem
    [rule] = violations(DeviceCgroupRules=["b 8:* rmw"])
    assert "device cgroup rules: refused" in rule
    assert violations(Devices=[], DeviceCgroupRules=None) == []


@pytest.mark.parametrize(
    "opt",
    ["seccomp=unconfined", "seccomp:unconfined", "apparmor:unconfined", "apparmor=unconfined",
     "SECCOMP=UNCONFINED", "label=disable", "systempaths=unconfined"],
)  # fmt: skip
def test_unconfined_security_options_are_denied(opt):
    [problem] = violations(SecurityOpt=[opt])
    assert opt in problem


def test_harmless_security_options_are_allowed():
    assert violations(SecurityOpt=["no-new-privileges", "no-new-privileges:true"]) == []


def test_volumes_from_is_denied():
    [problem] = violations(VolumesFrom=["db"])
    assert "volumes_from" in problem


def test_every_problem_is_reported_not_just_the_first():
    problems = violations(Privileged=True, CapAdd=["SYS_ADMIN"], NetworkMode="host")
    assert len(problems) == 3


# --- binds of host paths ------------------------------------------------------------------------

SENSITIVE = [
    "/", "/etc", "/etc/ssl", "/etc/ssl/certs", "/proc", "/sys", "/boot", "/dev", "/root",
    "/var/run/docker.sock", "/run/docker.sock", "/var/run", "/run", "/var", "/var/lib",
    "/var/lib/docker", "/usr",
    # normalisation tricks
    "/tmp/../etc", "/srv/data/../../etc/shadow", "/etc/", "//etc", "/etc//ssl", "///",
    "/./etc", "/tmp/./../proc/1", "/var/run/", "//var//run//docker.sock", " /etc ",
]  # fmt: skip


@pytest.mark.parametrize("path", SENSITIVE)
def test_binds_of_sensitive_host_paths_are_denied(path):
    assert sensitive_path_reason(path), path
    [problem] = violations(Binds=[f"{path}:/host"])
    assert "refused" in problem or "Docker socket" in problem


@pytest.mark.parametrize("path", ["/srv/data", "/srv/data/", "/home/app/www", "/tmp/build", "/opt"])
def test_binds_of_ordinary_host_paths_are_allowed(path):
    assert sensitive_path_reason(path) is None
    assert violations(Binds=[f"{path}:/data", f"{path}:/data:ro"]) == []


def test_a_symlink_to_a_sensitive_path_is_denied(tmp_path):
    link = tmp_path / "innocent"
    link.symlink_to("/etc")
    assert violations(Binds=[f"{link}:/data"]), "the link resolves to /etc on this host"


def test_read_only_does_not_make_a_sensitive_bind_acceptable():
    assert violations(Binds=["/etc:/host-etc:ro"])


def test_named_volumes_and_anonymous_targets_are_allowed():
    assert violations(Binds=["data:/var/lib/postgresql/data", "cache:/cache:ro"]) == []


@pytest.mark.parametrize("path", ["/etc", "/var/run/docker.sock", "/", "/tmp/../proc"])
def test_mounts_of_type_bind_to_sensitive_paths_are_denied(path):
    [problem] = violations(Mounts=[{"Type": "bind", "Source": path, "Target": "/x"}])
    assert "refused" in problem or "Docker socket" in problem


def test_bind_mount_type_is_case_insensitive_and_missing_source_means_root():
    assert violations(Mounts=[{"Type": "BIND", "Source": "/etc", "Target": "/x"}])
    assert violations(Mounts=[{"Type": "bind", "Target": "/x"}])


def test_allowed_mounts():
    mounts = [
        {"Type": "bind", "Source": "/srv/data", "Target": "/data"},
        {"Type": "volume", "Source": "pgdata", "Target": "/var/lib/postgresql/data"},
        {"Type": "volume", "Target": "/anonymous"},
        {"Type": "tmpfs", "Target": "/run"},
    ]
    assert violations(Mounts=mounts) == []


# --- local volumes that are binds in disguise ---------------------------------------------------


def lookup_of(volumes: dict[str, dict[str, Any]]):
    seen: list[str] = []

    def lookup(name: str) -> dict[str, Any] | None:
        seen.append(name)
        return volumes.get(name)

    lookup.seen = seen  # type: ignore[attr-defined]
    return lookup


def test_a_local_volume_with_o_bind_to_etc_is_denied_via_binds():
    lookup = lookup_of({"etcvol": {"Name": "etcvol", "Driver": "local", "Options": BIND_VOLUME}})
    [problem] = violations(lookup, Binds=["etcvol:/data"])
    assert "etcvol" in problem and "/etc" in problem
    assert lookup.seen == ["etcvol"]


def test_a_local_volume_with_o_bind_to_etc_is_denied_via_mounts():
    lookup = lookup_of({"etcvol": {"Options": {"o": "rbind,ro", "device": "/etc/"}}})
    assert violations(lookup, Mounts=[{"Type": "volume", "Source": "etcvol", "Target": "/x"}])


def test_volume_options_in_the_mount_itself_are_checked():
    mount = {
        "Type": "volume",
        "Source": "fresh",
        "Target": "/x",
        "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": BIND_VOLUME}},
    }
    [problem] = violations(lookup_of({}), Mounts=[mount])
    assert "volume fresh" in problem and "/etc" in problem


def test_a_bind_volume_without_a_device_is_denied():
    lookup = lookup_of({"odd": {"Options": {"type": "none", "o": "bind"}}})
    assert violations(lookup, Binds=["odd:/x"])


def test_only_plain_local_volumes_and_tmpfs_are_allowed():
    """An allow-list, not a list of dangerous devices: any driver option is refused."""
    lookup = lookup_of(
        {
            "plain": {"Options": None},
            "ram": {"Options": {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}},
            "nfs": {"Options": {"type": "nfs", "o": "addr=10.0.0.1", "device": ":/export"}},
            "srv": {"Options": {"type": "none", "o": "bind", "device": "/srv/data"}},
            "disk": {"Options": {"type": "ext4", "device": "/dev/vda1"}},
        }
    )
    assert violations(lookup, Binds=["plain:/a", "ram:/b", "missing:/d"]) == []
    refused = violations(lookup, Binds=["nfs:/b", "srv:/c", "disk:/e"])
    assert len(refused) == 3 and all("driver options" in p for p in refused)


def test_empty_and_missing_host_configs_are_allowed():
    assert violations() == []
