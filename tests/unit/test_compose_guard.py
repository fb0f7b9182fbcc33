"""A compose file is not a way around the container guard: each service of the resolved
configuration is judged like run_container. Both `config` dialects are covered: Compose v1
(short strings) and v2 (long syntax, explicit volume names)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tools.guard.allowlist import Checker, Lookups, Rules
from tools.guard.compose_config import compose_violations, notable_options, raw_file_problems

IMAGE = "dockerdeployer-test/busybox:1"


def checker_of(lookup: Any = None) -> Checker:
    """The allow-list with a bind root of `/`: the sensitive-path rules alone judge binds."""
    lookups = Lookups(volume=lookup) if lookup else Lookups()
    return Checker(Rules(bind_roots=(Path("/"),)), lookups)


def one_service(
    lookup: Any = None, _volumes: dict[str, Any] | None = None, **service: Any
) -> list[str]:
    """Problems of a project 'shop' with one service 'web' (and these top-level volumes)."""
    config = {"services": {"web": {"image": IMAGE, **service}}, "volumes": _volumes or {}}
    return compose_violations(config, checker_of(lookup), "shop")


def refused(**service: Any) -> str:
    problems = one_service(**service)
    assert problems, f"{service} was allowed"
    assert all(p.startswith("service web: ") for p in problems), problems
    return " | ".join(problems)


# --- safe files are allowed ---------------------------------------------------------------------


def test_a_typical_v1_config_is_allowed():
    config = {
        "version": "3.9",
        "services": {
            "web": {
                "image": IMAGE,
                "command": ["sh", "-c", "httpd -f -p 8080"],
                "ports": ["127.0.0.1:18080:8080/tcp"],
                "volumes": ["data:/data:rw", "/srv/shop/static:/www:ro", "/cache"],
                "environment": {"DOCKER_HOST": "unix:///var/run/docker.sock", "X": "a$$b"},
                "labels": {"note": "never mount /var/run/docker.sock"},
                "cap_add": ["NET_BIND_SERVICE"],
                "security_opt": ["no-new-privileges:true"],
                "privileged": False,
                "tmpfs": ["/run"],
                "depends_on": ["db"],
            },
            "db": {"image": IMAGE, "network_mode": "service:web", "ipc": "shareable"},
        },
        "volumes": {"data": {"labels": {"team": "shop"}}},
        "networks": {"default": {"labels": {"team": "shop"}}},
    }
    assert compose_violations(config, checker_of(lambda name: None), "shop") == []


def test_a_typical_v2_config_is_allowed():
    config = {
        "name": "shop",
        "services": {
            "web": {
                "image": IMAGE,
                "ports": [{"mode": "ingress", "target": 8080, "published": "18080"}],
                "volumes": [
                    {"type": "volume", "source": "data", "target": "/data", "volume": {}},
                    {"type": "bind", "source": "/srv/shop/static", "target": "/www"},
                    {"type": "tmpfs", "target": "/tmp"},
                ],
                "network_mode": "bridge",
            }
        },
        "volumes": {"data": {"name": "shop_data"}},
    }
    assert compose_violations(config, checker_of(lambda name: None)) == []


def test_an_empty_or_odd_config_yields_no_false_alarm():
    assert compose_violations({}, checker_of(None)) == []
    assert compose_violations({"services": {"web": None}}, checker_of(None)) == []


# --- each dangerous option, short and long syntax -----------------------------------------------


@pytest.mark.parametrize("value", [True, "true", "yes"])
def test_privileged_is_refused_and_names_the_service(value):
    [problem] = one_service(privileged=value)
    assert problem.startswith("service web: HostConfig.Privileged=")
    assert problem.endswith("privileged containers are refused")


@pytest.mark.parametrize("cap", ["SYS_ADMIN", "CAP_SYS_MODULE", "ALL"])
def test_dangerous_capabilities_are_refused(cap):
    assert "adding capabilities" in refused(cap_add=[cap])


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("network_mode", "network"),
        ("pid", "pid"),
        ("ipc", "ipc"),
        ("uts", "uts"),
        ("userns_mode", "userns"),
        ("cgroup", "cgroup"),
    ],
)
def test_host_namespaces_are_refused(key, label):
    assert f"({label}=host) is refused" in refused(**{key: "host"})


def test_sharing_another_services_pid_namespace_is_refused():
    assert "pid namespace" in refused(pid="service:db")


@pytest.mark.parametrize(
    "devices",
    [
        ["/dev/sda:/dev/sda:rwm"],
        [{"source": "/dev/sda", "target": "/dev/sda", "permissions": "rwm"}],
    ],
)
def test_devices_are_refused_in_both_syntaxes(devices):
    assert "host devices" in refused(devices=devices)


def test_device_cgroup_rules_are_refused():
    assert "device cgroup rules" in refused(device_cgroup_rules=["c 1:3 mr"])


@pytest.mark.parametrize(
    "opt", ["seccomp:unconfined", "seccomp=unconfined", "apparmor:unconfined", "label:disable"]
)
def test_unconfined_security_options_are_refused(opt):
    assert f"SecurityOpt={opt}" in refused(security_opt=[opt])


@pytest.mark.parametrize("value", [["service:db:rw"], ["db"], ["container:other:ro"]])
def test_volumes_from_is_refused(value):
    assert "volumes_from" in refused(volumes_from=value)


@pytest.mark.parametrize(
    ("short", "expected"),
    [
        ("/:/host", "root filesystem"),
        ("/etc:/host-etc:ro", "under /etc"),
        ("/var/run/docker.sock:/var/run/docker.sock", "Docker socket"),
        ("/run:/host-run", "Docker socket"),
        ("/usr/lib:/host-lib:ro", "under /usr"),
        ("/var/lib:/x", "exposes /var/lib/docker"),
        ("/srv/../proc:/p", "/proc"),
    ],
)
def test_sensitive_binds_are_refused_in_short_syntax(short, expected):
    assert expected in refused(volumes=[short])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("/", "root filesystem"),
        ("/etc", "under /etc"),
        ("/var/run/docker.sock", "Docker socket"),
        ("/run/docker.sock", "Docker socket"),
        ("/proc/sys", "under /proc"),
    ],
)
def test_sensitive_binds_are_refused_in_long_syntax(source, expected):
    volume = {"type": "bind", "source": source, "target": "/host", "bind": {}}
    assert expected in refused(volumes=[volume])


BIND_OPTS = {"type": "none", "o": "bind", "device": "/etc"}


@pytest.mark.parametrize(
    "mount", ["hostetc:/x:rw", {"type": "volume", "source": "hostetc", "target": "/x"}]
)
def test_a_named_volume_declared_as_a_bind_of_etc_is_refused(mount):
    problems = one_service(volumes=[mount], _volumes={"hostetc": {"driver_opts": BIND_OPTS}})
    assert problems[0].startswith("service web: ") and "/etc" in problems[0]
    assert "volume shop_hostetc: driver options" in problems[0]


def test_a_declared_bind_volume_is_refused_even_when_no_service_uses_it():
    config = {
        "services": {"web": {"image": IMAGE}},
        "volumes": {"sneaky": {"driver": "local", "driver_opts": {"o": "bind", "device": "/"}}},
    }
    [problem] = compose_violations(config, checker_of(None), "shop")
    assert problem.startswith("volume shop_sneaky: has driver options")


def test_an_existing_engine_volume_that_binds_the_socket_is_refused():
    """`external: true` (or a leftover `<project>_<name>`) reuses what the engine has."""
    seen: list[str] = []

    def lookup(name: str) -> dict[str, Any] | None:
        seen.append(name)
        opts = {"type": "none", "o": "bind", "device": "/var/run/docker.sock"}
        return {"Name": name, "Options": opts} if name in ("ext", "shop_data") else None

    external = one_service(lookup, volumes=["ext:/x"], _volumes={"ext": {"external": True}})
    leftover = one_service(lookup, volumes=["data:/x"], _volumes={"data": {}})
    assert "device=/var/run/docker.sock" in external[0]
    assert "device=/var/run/docker.sock" in leftover[0]
    assert seen == ["ext", "shop_data"]


def test_v2_explicit_volume_names_are_the_ones_looked_up():
    seen: list[str] = []
    config = {
        "name": "shop",
        "services": {"web": {"image": IMAGE, "volumes": [
            {"type": "volume", "source": "data", "target": "/data"}]}},
        "volumes": {"data": {"name": "custom_data"}},
    }  # fmt: skip
    assert compose_violations(config, checker_of(lambda n: seen.append(n))) == []
    assert seen == ["custom_data"]


@pytest.mark.parametrize("key", ["secrets", "configs"])
def test_secret_and_config_files_from_sensitive_paths_are_refused(key):
    config = {
        "services": {"web": {"image": IMAGE, key: [{"source": "s"}]}},
        key: {"s": {"file": "/etc/shadow"}},
    }
    [problem] = compose_violations(config, checker_of(None))
    assert problem.startswith("service web: ") and "under /etc" in problem


def test_host_files_the_cli_would_read_must_be_inside_the_project(tmp_path):
    """Compose v1 inlines env files into `config` output: the file as written is checked."""
    (tmp_path / "app.env").write_text("A=1\n")
    (tmp_path / "escape.env").symlink_to("/etc/shadow")
    inside = {"services": {"web": {"image": IMAGE, "env_file": ["app.env"], "build": "."}},
              "secrets": {"s": {"file": "./app.env"}}}  # fmt: skip
    assert raw_file_problems(inside, tmp_path) == []
    outside = {
        "services": {
            "web": {"image": IMAGE, "env_file": ["/etc/shadow", {"path": "escape.env"}],
                    "build": {"context": "/"}, "extends": {"file": "../other.yaml"}},
            "api": {"image": IMAGE, "env_file": "${HOME}/.env"},
        },
        "secrets": {"s": {"file": "/root/.ssh/id_rsa"}},
        "configs": {"c": {"file": "../../etc/passwd"}},
    }  # fmt: skip
    problems = raw_file_problems(outside, tmp_path)
    assert len(problems) == 7, problems
    assert any("uses a variable" in p for p in problems)


def test_named_pipe_mounts_are_refused():
    pipe = {"type": "npipe", "source": r"\\.\pipe\docker_engine", "target": r"\\.\pipe\x"}
    assert "named pipe" in refused(volumes=[pipe])


def test_the_docker_socket_anywhere_else_in_a_service_is_refused():
    # A key this guard has no translation for (a newer compose feature, say) still may not
    # carry the socket path.
    assert "Docker socket" in refused(x_future_mount={"path": "/var/run/docker.sock"})


def test_every_problem_of_every_service_is_listed():
    config = {
        "services": {
            "a": {"image": IMAGE, "privileged": True, "network_mode": "host"},
            "b": {"image": IMAGE, "volumes": ["/var/run/docker.sock:/s"]},
            "ok": {"image": IMAGE},
        }
    }
    problems = compose_violations(config, checker_of(None))
    assert problems[0].startswith("service a: HostConfig.Privileged=True")
    assert problems[1].endswith("sharing the host's network namespace (network=host) is refused")
    assert len(problems) == 3 and problems[2].startswith("service b: ")
    assert "mounting the Docker socket" in problems[2]


def test_the_card_names_every_unusual_option():
    config = {
        "services": {
            "web": {"image": IMAGE, "cap_add": ["NET_BIND_SERVICE"], "sysctls": {"net.x": 1}},
            "plain": {"image": IMAGE},
        },
        "networks": {"edge": {"external": True, "name": "proxy"}},
        "volumes": {"scratch": {"driver_opts": {"type": "tmpfs", "device": "tmpfs"}}},
    }
    lines = notable_options(config, ["plain", "web"])
    assert lines[:2] == [
        'service web: cap_add ["NET_BIND_SERVICE"]',
        'service web: sysctls {"net.x": 1}',
    ]
    assert any(line.startswith("network edge:") and "proxy" in line for line in lines)
    assert any(line.startswith("volume scratch:") and "tmpfs" in line for line in lines)
    assert not any("plain" in line for line in lines)
