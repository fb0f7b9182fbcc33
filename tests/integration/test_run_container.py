"""run_container on the real engine: what it creates, what it refuses, and what it leaves."""

from __future__ import annotations

import socket

import docker
import pytest

from tests.conftest import SLEEPER, TEST_IMAGE, unique
from tests.integration.conftest import approved, case_labels, free_port, new_case


def containers_with_case(client: docker.DockerClient, case: str) -> list[dict]:
    return client.api.containers(all=True, filters={"label": f"ddt.case={case}"})


def run_args(name: str, case: str, **extra) -> dict:
    return {"image": TEST_IMAGE, "name": name, "command": SLEEPER, "labels": case_labels(case),
            **extra}  # fmt: skip


def test_run_container_creates_exactly_what_was_asked(
    gateway, docker_client, admin, cleanup_names, tmp_path
):
    case, name, port = new_case(), unique("deploy"), free_port()
    volume = docker_client.volumes.create(unique("vol"), labels=case_labels(case))
    host_dir = tmp_path / "site"
    host_dir.mkdir()
    cleanup_names.append(name)
    args = run_args(
        name, case,
        ports={str(port): "80"},
        env={"GREETING": "hello", "DB_PASSWORD": "hunter2"},
        volumes={volume.name: "/data", str(host_dir): "/site:ro"},
        restart_policy="unless-stopped", cpus=0.5, memory="64m",
    )  # fmt: skip

    outcome = approved(gateway, admin, "run_container", args)

    assert outcome.status == "executed", outcome.message
    assert outcome.result["state"] == "running"
    info = docker_client.api.inspect_container(name)
    assert info["Id"] == outcome.result["targets"][0]
    assert info["State"]["Running"]
    assert info["Config"]["Image"] == TEST_IMAGE
    assert info["Config"]["Cmd"] == SLEEPER
    assert {"GREETING=hello", "DB_PASSWORD=hunter2"} <= set(info["Config"]["Env"])
    assert info["Config"]["Labels"] == case_labels(case)
    host = info["HostConfig"]
    assert host["PortBindings"] == {"80/tcp": [{"HostIp": "", "HostPort": str(port)}]}
    assert info["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] == str(port)
    assert sorted(host["Binds"]) == sorted([f"{volume.name}:/data", f"{host_dir}:/site:ro"])
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["NanoCpus"] == 500_000_000
    assert host["Memory"] == 64 * 1024**2
    assert host["Privileged"] is False and not host["CapAdd"]
    # The preview the approver saw hid the secret.
    assert "DB_PASSWORD=***" in outcome.approval["command"]
    assert "hunter2" not in outcome.approval["command"]


def test_secrets_in_env_stay_out_of_approvals_and_the_audit_log(
    gateway, docker_client, admin, cleanup_names
):
    case, name = new_case(), unique("secret")
    cleanup_names.append(name)
    args = run_args(name, case, env={"DB_PASSWORD": "hunter2", "MODE": "prod"})

    proposal = gateway.call(admin, "run_container", args)
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)

    assert outcome.status == "executed"
    assert "DB_PASSWORD=hunter2" in docker_client.api.inspect_container(name)["Config"]["Env"]
    shown = [proposal.approval, outcome.approval, *gateway.approvals.list()]
    shown = [a if isinstance(a, dict) else a.public() for a in shown]
    for approval in shown:
        assert approval["args"]["env"] == {"DB_PASSWORD": "***", "MODE": "prod"}
    for entry in gateway.audit.query(tool="run_container"):
        assert "hunter2" not in str(entry.public()), entry.event


def test_run_container_with_a_name_in_use_is_a_readable_conflict(
    gateway, make_container, docker_client, admin
):
    existing = make_container("taken")
    case = new_case()
    outcome = gateway.call(admin, "run_container", run_args(existing.name, case))
    assert outcome.status == "failed"
    assert outcome.error_code == "conflict"
    assert f"a container named {existing.name!r} already exists" in outcome.message
    assert containers_with_case(docker_client, case) == []


def test_a_host_port_published_by_another_container_is_refused(
    gateway, make_container, docker_client, admin, cleanup_names
):
    port = free_port()
    first = make_container("port-a", ports={"80/tcp": port})
    case, name = new_case(), unique("port-b")
    cleanup_names.append(name)

    outcome = gateway.call(admin, "run_container", run_args(name, case, ports={str(port): "80"}))

    assert outcome.status == "failed"
    assert outcome.error_code == "conflict"
    assert f"host port {port} is already published by {first.name}" in outcome.message
    assert containers_with_case(docker_client, case) == []


def test_a_host_port_held_by_a_process_leaves_no_half_created_container(
    gateway, docker_client, admin, cleanup_names
):
    case, name = new_case(), unique("port-c")
    cleanup_names.append(name)
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        outcome = approved(
            gateway, admin, "run_container", run_args(name, case, ports={str(port): "80"})
        )

    assert outcome.status == "failed"
    assert outcome.error_code == "conflict"
    assert str(port) in outcome.message and "already" in outcome.message
    assert "Traceback" not in outcome.message
    assert containers_with_case(docker_client, case) == [], "the created container must go"
    events = [e.event for e in gateway.audit.query(tool="run_container")]
    assert events[0] == "failed"


def test_a_container_that_cannot_start_is_removed_again(
    gateway, docker_client, admin, cleanup_names
):
    case, name = new_case(), unique("nostart")
    cleanup_names.append(name)
    outcome = approved(gateway, admin, "run_container", run_args(name, case, command=["/nope"]))
    assert outcome.status == "failed"
    assert '"/nope"' in outcome.message and "no such file or directory" in outcome.message
    assert containers_with_case(docker_client, case) == []


def test_a_missing_image_is_pulled_as_part_of_the_approved_plan(gateway, docker_client, admin):
    """Like `docker run`: the card says it pulls first; with no registry that has the image,
    the pull fails readably and nothing is created."""
    case = new_case()
    args = run_args(unique("noimg"), case, image="dockerdeployer-test/does-not-exist:1")
    proposal = gateway.call(admin, "run_container", args)
    assert proposal.status == "pending_approval", proposal.message
    assert proposal.preview["impact"][0].startswith(
        "pulls dockerdeployer-test/does-not-exist:1 (not on host local), then runs it"
    )
    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)
    assert outcome.status == "failed"
    assert "dockerdeployer-test/does-not-exist" in outcome.message
    assert containers_with_case(docker_client, case) == []


@pytest.fixture
def etc_bind_volume(docker_client):
    """A local volume that is really a bind of /etc. Harmless until something mounts it."""
    case = new_case()
    volume = docker_client.volumes.create(
        unique("etcvol"),
        driver="local",
        driver_opts={"type": "none", "o": "bind", "device": "/etc"},
        labels=case_labels(case),
    )
    yield volume.name
    volume.remove(force=True)


HARD_DENIED = {
    "privileged": {"privileged": True},
    "cap_sys_admin": {"cap_add": ["SYS_ADMIN"]},
    "cap_all": {"cap_add": ["ALL"]},
    "network_host": {"network_mode": "host"},
    "network_arg_host": {"network": "host"},
    "pid_host": {"pid_mode": "host"},
    "pid_container": {"pid_mode": "container:whatever"},
    "ipc_host": {"ipc_mode": "HOST"},
    "uts_host": {"uts_mode": "host"},
    "userns_host": {"userns_mode": "host"},
    "device": {"devices": ["/dev/sda:/dev/sda"]},
    "seccomp": {"security_opt": ["seccomp=unconfined"]},
    "apparmor": {"security_opt": ["apparmor:unconfined"]},
    "volumes_from": {"volumes_from": ["some-container"]},
    "bind_root": {"volumes": {"/": "/host"}},
    "bind_etc": {"volumes": {"/etc": "/host-etc:ro"}},
    "bind_socket": {"volumes": {"/var/run/docker.sock": "/var/run/docker.sock"}},
    "bind_dotdot": {"volumes": {"/tmp/../etc": "/x"}},
    "bind_var_lib": {"volumes": {"/var/lib": "/x"}},
    "mount_bind_proc": {"mounts": [{"type": "bind", "source": "/proc", "target": "/x"}]},
    "mount_bind_run": {"mounts": [{"type": "bind", "source": "/run/docker.sock", "target": "/s"}]},
}


@pytest.mark.parametrize("options", HARD_DENIED.values(), ids=HARD_DENIED.keys())
def test_hard_denied_options_are_refused_and_the_engine_is_untouched(
    gateway, docker_client, admin, options
):
    case = new_case()
    outcome = gateway.call(admin, "run_container", run_args(unique("bad"), case, **options))
    assert outcome.status == "denied", outcome.message
    assert outcome.error_code == "denied"
    assert "refused" in outcome.message or "gives root" in outcome.message
    assert outcome.approval is None, "no approval is even offered"
    assert gateway.approvals.list() == []
    assert containers_with_case(docker_client, case) == []
    [entry] = gateway.audit.query(tool="run_container")
    assert entry.event == "denied"


@pytest.mark.parametrize("how", ["volumes", "mounts"])
def test_a_named_volume_that_binds_etc_is_refused(
    gateway, docker_client, admin, etc_bind_volume, how
):
    case = new_case()
    spec = (
        {"volumes": {etc_bind_volume: "/data"}}
        if how == "volumes"
        else {"mounts": [{"type": "volume", "source": etc_bind_volume, "target": "/data"}]}
    )
    outcome = gateway.call(admin, "run_container", run_args(unique("vbad"), case, **spec))
    assert outcome.status == "denied"
    assert etc_bind_volume in outcome.message and "/etc" in outcome.message
    assert containers_with_case(docker_client, case) == []


def test_harmless_mounts_are_allowed(gateway, docker_client, admin, cleanup_names, tmp_path):
    case, name = new_case(), unique("tmpfs")
    cleanup_names.append(name)
    work = tmp_path / "work"
    work.mkdir()
    args = run_args(
        name, case,
        mounts=[{"type": "tmpfs", "target": "/scratch"},
                {"type": "bind", "source": str(work), "target": "/work", "read_only": True}],
        cap_add=["NET_BIND_SERVICE"],
    )  # fmt: skip
    outcome = approved(gateway, admin, "run_container", args)
    assert outcome.status == "executed", outcome.message
    mounts = {m["Destination"]: m for m in docker_client.api.inspect_container(name)["Mounts"]}
    assert mounts["/scratch"]["Type"] == "tmpfs"
    assert mounts["/work"]["Source"] == str(work) and mounts["/work"]["RW"] is False


def test_an_operator_needs_approval_to_deploy_and_a_viewer_may_not(
    gateway, docker_client, operator, viewer
):
    case = new_case()
    denied = gateway.call(viewer, "run_container", run_args(unique("v"), case))
    assert denied.status == "denied"
    pending = gateway.call(operator, "run_container", run_args(unique("o"), case))
    assert pending.status == "pending_approval"
    assert containers_with_case(docker_client, case) == []
