"""The engine boundary's allow-list, on request bodies as the engine receives them.

Property tests: a body built only from allowed fields and values passes; adding any field the
allow-list does not know, or a non-default value where only the default is safe, is refused
with a reason naming that field. Then the rules settings change (bind roots, protected paths),
and the routing of requests (which endpoints are judged, and how).
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.guard.allowlist import (
    CONFIG_FREE,
    HOST_DEFAULT_ONLY,
    HOST_KNOWN,
    Checker,
    Lookups,
    Rules,
    check_service_spec,
)
from tools.guard.boundary import Boundary, BoundaryDenied, carrying

ROOT = Path("/srv/apps")
CHECKER = Checker(Rules(bind_roots=(ROOT,), check_symlinks=False))

names = st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12)
safe_paths = names.map(lambda n: f"{ROOT}/{n}")

safe_host_config = st.fixed_dictionaries(
    {},
    optional={
        "Memory": st.integers(0, 2**34),
        "NanoCpus": st.integers(0, 4 * 10**9),
        "RestartPolicy": st.sampled_from(
            [{"Name": n} for n in ("", "no", "always", "unless-stopped", "on-failure")]
        ),
        "PortBindings": st.dictionaries(
            st.integers(1, 65535).map(lambda p: f"{p}/tcp"),
            st.just([{"HostIp": "127.0.0.1", "HostPort": "0"}]),
            max_size=3,
        ),
        "Binds": st.lists(
            st.one_of(names.map(lambda n: f"vol{n}:/data"), safe_paths.map(lambda p: p + ":/w")),
            max_size=3,
        ),
        "CapAdd": st.lists(st.sampled_from(["CHOWN", "NET_BIND_SERVICE", "KILL"]), max_size=2),
        "CapDrop": st.lists(st.sampled_from(["ALL", "NET_RAW", "SYS_ADMIN"]), max_size=2),
        "NetworkMode": st.sampled_from(["", "default", "bridge", "none", "my-net"]),
        "IpcMode": st.sampled_from(["", "private", "shareable"]),
        "Privileged": st.just(False),
        "ReadonlyRootfs": st.booleans(),
        "SecurityOpt": st.lists(st.just("no-new-privileges:true"), max_size=1),
        "Tmpfs": st.dictionaries(names.map(lambda n: "/" + n), st.just("size=64m"), max_size=2),
        "LogConfig": st.sampled_from([{"Type": "json-file", "Config": {}}, {"Type": "local"}]),
        "Devices": st.just([]),
        "Mounts": st.lists(
            st.one_of(
                st.fixed_dictionaries({"Type": st.just("tmpfs"), "Target": st.just("/t")}),
                st.fixed_dictionaries(
                    {"Type": st.just("volume"), "Source": names, "Target": st.just("/v")}
                ),
                st.fixed_dictionaries(
                    {"Type": st.just("bind"), "Source": safe_paths, "Target": st.just("/b")}
                ),
            ),
            max_size=3,
        ),
    },
)
safe_bodies = st.fixed_dictionaries(
    {"Image": st.just("dockerdeployer-test/busybox:1"), "HostConfig": safe_host_config},
    optional={
        "Cmd": st.lists(names, min_size=1, max_size=3),
        "Env": st.lists(names.map(lambda n: f"{n.upper()}=1"), max_size=3),
        "Labels": st.dictionaries(names.map(lambda n: "app." + n), names, max_size=3),
        "WorkingDir": st.just("/"),
        "Tty": st.booleans(),
    },
)
unknown_keys = st.text(string.ascii_letters, min_size=3, max_size=16).filter(
    lambda k: k not in CONFIG_FREE | HOST_KNOWN | {"HostConfig", "NetworkingConfig", "Labels"}
)
non_empty = st.one_of(
    st.booleans().filter(bool), st.integers(1, 10**6), names, st.lists(names, min_size=1)
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(safe_bodies)
def test_bodies_inside_the_allow_list_pass(body):
    assert CHECKER.container_create(body) == []


@settings(max_examples=300)
@given(safe_bodies, unknown_keys, non_empty, st.booleans())
def test_any_unknown_field_is_refused_by_name(body, key, value, in_host_config):
    target = body["HostConfig"] if in_host_config else body
    target[key] = value
    problems = CHECKER.container_create(body)
    assert problems and any(p.field.endswith(key) for p in problems)


@settings(max_examples=300)
@given(safe_bodies, st.sampled_from(sorted(HOST_DEFAULT_ONLY)), non_empty)
def test_default_only_fields_refuse_any_other_value(body, key, value):
    body["HostConfig"][key] = value
    assert [p.field for p in CHECKER.container_create(body)] == [f"HostConfig.{key}"]


DANGEROUS = {
    "Privileged": True,
    "CapAdd": ["SYS_ADMIN"],
    "NetworkMode": "host",
    "PidMode": "host",
    "IpcMode": "container:db",
    "UTSMode": "host",
    "UsernsMode": "host",
    "CgroupnsMode": "host",
    "SecurityOpt": ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'],
    "Sysctls": {"kernel.core_pattern": "|/x"},
    "Runtime": "nvidia",
    "MaskedPaths": [],
    "OomScoreAdj": -1000,
    "LogConfig": {"Type": "syslog", "Config": {"syslog-address": "udp://1.2.3.4:514"}},
    "Binds": ["/etc:/host"],
    "Mounts": [{"Type": "bind", "Source": "/", "Target": "/host"}],
}


@settings(max_examples=200)
@given(safe_bodies, st.sampled_from(sorted(DANGEROUS)))
def test_dangerous_values_are_refused_whatever_else_the_body_holds(body, key):
    body["HostConfig"][key] = DANGEROUS[key]
    problems = CHECKER.container_create(body)
    assert any(p.field.startswith(f"HostConfig.{key}") for p in problems), problems


@pytest.mark.parametrize(
    "opt",
    ["seccomp=unconfined", "seccomp=/tmp/profile.json", 'seccomp={"defaultAction":"x"}',
     "apparmor=unconfined", "label=disable", "label=type:spc_t", "systempaths=unconfined"],
)  # fmt: skip
def test_security_options_other_than_the_default_profiles_are_refused(opt):
    assert CHECKER.host_config({"SecurityOpt": [opt]})


def test_named_profile_exceptions_come_from_settings():
    rules = Rules(seccomp_profiles=frozenset({"builtin"}))
    assert Checker(rules).host_config({"SecurityOpt": ["seccomp=builtin"]}) == []
    assert Checker(rules).host_config({"SecurityOpt": ["apparmor=docker-default"]}) == []


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["dockerdeployer.self", "dockerdeployer.protected", "DockerDeployer.self", "dockerdeployer.x"],
)
def test_labels_under_the_product_prefix_are_reserved(key):
    [problem] = CHECKER.container_create({"Image": "x", "Labels": {key: "1"}})
    assert "reserved" in problem.reason


# --- host binds ------------------------------------------------------------------------------


def test_without_bind_roots_only_named_volumes_are_allowed():
    checker = Checker(Rules())
    assert checker.host_config({"Binds": ["data:/data"]}) == []
    [problem] = checker.host_config({"Binds": ["/srv/apps/x:/x"]})
    assert "DOCKERDEPLOYER_BIND_ROOTS" in problem.reason


@pytest.mark.parametrize(
    "source",
    ["/srv", "/srv/apps/../etc", "/srv/apps/./x", "/srv/appsx", "/", "./x", "~/x"],
)
def test_binds_outside_the_roots_or_not_canonical_are_refused(source):
    assert CHECKER.host_config({"Binds": [f"{source}:/x"]}), source


def test_a_root_over_a_sensitive_tree_does_not_open_it():
    checker = Checker(Rules(bind_roots=(Path("/"),), check_symlinks=False))
    for source in ("/etc", "/var/run/docker.sock", "/proc/1", "/var/lib/docker/volumes"):
        assert checker.host_config({"Binds": [f"{source}:/x"]}), source


def test_the_state_directory_and_its_parents_are_never_bound(tmp_path):
    home = tmp_path / "state"
    checker = Checker(Rules(bind_roots=(tmp_path,), protected_paths=(home,)))
    for source in (home, home / "jwt_secret", tmp_path):
        [problem] = checker.host_config({"Binds": [f"{source}:/x"]})
        assert "own state" in problem.reason
    (tmp_path / "app").mkdir()
    assert checker.host_config({"Binds": [f"{tmp_path / 'app'}:/x"]}) == []


def test_a_symlink_in_any_component_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    checker = Checker(Rules(bind_roots=(tmp_path,)))
    [problem] = checker.host_config({"Binds": [f"{tmp_path}/link/sub:/x"]})
    assert "symbolic link" in problem.reason
    assert checker.host_config({"Binds": [f"{tmp_path}/real/sub:/x"]}) == []


def test_a_running_container_that_can_write_a_parent_makes_the_bind_refused(tmp_path):
    """It could swap a component for a symlink between the check and the mount."""
    writable = [("flipper", str(tmp_path))]
    checker = Checker(Rules(bind_roots=(tmp_path,)), Lookups(writable_binds=lambda: writable))
    [problem] = checker.host_config({"Binds": [f"{tmp_path}/x:/x"]})
    assert "flipper" in problem.reason
    assert checker.host_config({"Binds": [f"{tmp_path}:/x"]}) == []  # its own mount point


# --- volumes, networks, services, exec ------------------------------------------------------


@pytest.mark.parametrize(
    "opts",
    [{"type": "ext4", "device": "/dev/vda1"}, {"type": "overlay", "o": "lowerdir=/etc"},
     {"type": "none", "o": "bind", "device": "/srv"}, {"type": "tmpfs", "device": "/dev/x"},
     {"type": "tmpfs", "device": "tmpfs", "o": "bind"}],
)  # fmt: skip
def test_volume_driver_options_are_refused(opts):
    assert CHECKER.volume_create({"Name": "v", "Driver": "local", "DriverOpts": opts})


def test_plain_and_tmpfs_volumes_are_allowed():
    assert CHECKER.volume_create({"Name": "v", "Driver": "local"}) == []
    tmpfs = {"type": "tmpfs", "device": "tmpfs", "o": "size=100m,uid=1000"}
    assert CHECKER.volume_create({"Name": "v", "DriverOpts": tmpfs}) == []
    assert CHECKER.volume_create({"Name": "v", "Driver": "rexray"})


def test_the_host_network_is_refused_by_name_or_by_what_it_is():
    host_net = {"Name": "host", "Driver": "host", "Id": "abc"}
    checker = Checker(Rules(), Lookups(network=lambda ref: host_net if ref == "abc" else None))
    assert checker.host_config({"NetworkMode": "abc"})
    assert checker.networking({"EndpointsConfig": {"abc": {}}})
    assert checker.networking({"EndpointsConfig": {"HOST": {}}})
    assert checker.host_config({"NetworkMode": "container:web"})
    assert checker.network_create({"Name": "n", "Driver": "macvlan"})
    assert checker.network_create({"Name": "host"})
    assert checker.network_create({"Name": "n", "Driver": "bridge"}) == []


def test_container_namespaces_only_with_the_setting_and_never_of_protected_ones():
    infos = {"web": {"Name": "/web"}, "self": {"Name": "/self"}}
    lookups = Lookups(
        container=infos.get,
        protected=lambda info: "it is DockerDeployer" if info["Name"] == "/self" else None,
    )
    checker = Checker(Rules(allow_container_namespaces=True), lookups)
    assert checker.host_config({"NetworkMode": "container:web"}) == []
    assert checker.host_config({"NetworkMode": "container:self"})
    assert checker.host_config({"NetworkMode": "container:missing"})
    assert checker.host_config({"PidMode": "container:web"}), "pid sharing stays refused"


def spec(**container_spec: Any) -> dict[str, Any]:
    return {"Name": "s", "TaskTemplate": {"ContainerSpec": {"Image": "x", **container_spec}}}


def test_service_specs_get_the_container_rules():
    assert check_service_spec(CHECKER, spec()) == []
    bind = {"Type": "bind", "Source": "/etc", "Target": "/e"}
    assert check_service_spec(CHECKER, spec(Mounts=[bind]))
    assert check_service_spec(CHECKER, spec(CapabilityAdd=["CAP_SYS_ADMIN"]))
    assert check_service_spec(CHECKER, spec(Privileges={"Seccomp": {"Mode": "unconfined"}}))
    assert check_service_spec(CHECKER, spec(Labels={"dockerdeployer.self": "1"}))
    assert check_service_spec(CHECKER, {**spec(), "TaskTemplate": {
        "ContainerSpec": {"Image": "x"}, "Networks": [{"Target": "host"}]}})  # fmt: skip
    assert check_service_spec(CHECKER, {"TaskTemplate": {"PluginSpec": {"Name": "p"}}})


def test_privileged_exec_is_refused():
    assert CHECKER.exec_create({"Cmd": ["id"], "Privileged": True})
    assert CHECKER.exec_create({"Cmd": ["id"], "Container": "abc", "User": "root"}) == []


# --- routing ---------------------------------------------------------------------------------


def boundary(**lookups: Any) -> Boundary:
    return Boundary(lambda: Rules(bind_roots=(ROOT,), check_symlinks=False), Lookups(**lookups))


def test_reads_pass_and_unknown_writes_are_refused():
    gate = boundary()
    gate.check("GET", "http+docker://localhost/v1.43/containers/json", None)
    gate.check("DELETE", "http+docker://localhost/v1.43/containers/abc", None)
    for path in ("/plugins/pull", "/swarm/init", "/nodes/abc/update", "/containers/abc/frobnicate"):
        with pytest.raises(BoundaryDenied):
            gate.check("POST", f"http+docker://localhost/v1.43{path}", "{}")


def test_a_create_body_that_is_not_json_is_refused():
    with pytest.raises(BoundaryDenied):
        boundary().check("POST", "http://x/v1.43/containers/create", b"\x00not json")


def test_start_of_an_existing_container_judges_its_configuration():
    info = {"HostConfig": {"Privileged": True, "Binds": ["/elsewhere:/x"]}}
    gate = boundary(container=lambda ref: info)
    with pytest.raises(BoundaryDenied) as refused:
        gate.check("POST", "http://x/v1.43/containers/abc/start", None)
    assert [v.field for v in refused.value.violations] == ["HostConfig.Privileged"]
    with carrying(refused.value.violations):
        gate.check("POST", "http://x/v1.43/containers/abc/start", None)
    with pytest.raises(BoundaryDenied):  # old-API start options are a create in disguise
        gate.check("POST", "http://x/v1.43/containers/abc/start", '{"Privileged": true}')


def test_carrying_lets_exactly_those_values_through_never_a_wider_one():
    gate = boundary()
    body = {"Image": "x", "HostConfig": {"CapAdd": ["NET_ADMIN"]}}
    with pytest.raises(BoundaryDenied) as refused:
        gate.check("POST", "http://x/containers/create", json.dumps(body))
    with carrying(refused.value.violations):
        gate.check("POST", "http://x/containers/create", json.dumps(body))
        wider = {"Image": "x", "HostConfig": {"CapAdd": ["NET_ADMIN", "SYS_ADMIN"]}}
        with pytest.raises(BoundaryDenied):
            gate.check("POST", "http://x/containers/create", json.dumps(wider))


def test_a_rollback_is_judged_on_the_spec_the_engine_will_apply():
    previous = spec(Mounts=[{"Type": "bind", "Source": "/etc", "Target": "/e"}])
    gate = boundary(service=lambda ref: {"Spec": spec(), "PreviousSpec": previous})
    gate.check("POST", "http://x/services/s1/update?version=3", json.dumps(spec()))
    with pytest.raises(BoundaryDenied):
        gate.check(
            "POST", "http://x/services/s1/update?version=3&rollback=previous", json.dumps(spec())
        )


def test_builds_on_the_host_network_are_refused():
    with pytest.raises(BoundaryDenied):
        boundary().check("POST", "http://x/build?networkmode=host&t=x", None)
    boundary().check("POST", "http://x/build?t=x", None)
