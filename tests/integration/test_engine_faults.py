"""Engine faults: no socket, an engine that goes away and comes back, permission denied.

The real dockerd is never stopped: a unix-socket forwarder stands in for it and is stopped instead.
"""

from __future__ import annotations

import grp
import json
import os
from dataclasses import asdict
from typing import Any

import pytest
from typer.testing import CliRunner

from dockerdeployer.cli import app
from tools.engine import Engine, diagnose
from tools.errors import EnginePermissionDenied, EngineUnavailable
from tools.manager import DockerManager

SOCKET_GID = 4242  # a group nobody on this machine is in


def test_a_missing_socket_is_a_readable_engine_unavailable(tmp_path, make_gateway, viewer):
    host = f"unix://{tmp_path}/absent.sock"
    with pytest.raises(EngineUnavailable) as info:
        DockerManager(Engine(host=host)).list_containers()
    assert info.value.message.startswith(f"No Docker socket at {tmp_path}/absent.sock")
    assert "Start it" in info.value.message

    outcome = make_gateway(engine_=Engine(host=host)).call(viewer, "list_containers", {})
    assert outcome.status == "failed"
    assert outcome.error_code == "engine_unavailable"
    assert outcome.message == info.value.message


def test_an_engine_stopped_mid_session_fails_clearly_and_recovers(
    forwarder, make_gateway, make_container, viewer, admin
):
    container = make_container("fwd")
    gateway = make_gateway(engine_=Engine(host=forwarder.url, timeout=5))
    listed = gateway.call(viewer, "list_containers", {})
    assert container.name in [row["name"] for row in listed.result]

    forwarder.stop()
    for tool, args in [
        ("list_containers", {}),
        ("inspect_container", {"container": container.name}),
        ("restart_container", {"container": container.name}),
    ]:
        down = gateway.call(admin, tool, args)
        assert down.status == "failed", tool
        assert down.error_code == "engine_unavailable"
        assert down.message == (
            f"The Docker engine at {forwarder.path} refused the connection: it is not running."
        )

    forwarder.start()
    back = gateway.call(viewer, "list_containers", {})
    assert back.status == "executed", back.message
    assert container.name in [row["name"] for row in back.result]


def test_an_engine_that_never_answers_is_a_timeout(forwarder, make_gateway, viewer):
    connected = make_gateway(engine_=Engine(host=forwarder.url, timeout=1))
    assert connected.call(viewer, "list_containers", {}).status == "executed"
    forwarder.stop()
    forwarder.start(hang=True)
    fresh = make_gateway(engine_=Engine(host=forwarder.url, timeout=1))

    for gateway in (connected, fresh):  # mid-session, and on first contact
        outcome = gateway.call(viewer, "list_containers", {})
        assert outcome.status == "failed"
        assert outcome.error_code == "engine_timeout"
        assert outcome.message == f"The Docker engine at {forwarder.url} did not answer in time."


def _diagnose_as_nobody(host: str, groups: list[int]) -> dict[str, Any]:
    """Run diagnose() in a forked child that dropped to uid/gid 65534 with `groups`.

    Forking (rather than exec'ing the venv's python, which lives under /root) keeps the
    already-imported code usable after the privileges are gone.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        try:
            os.close(read_end)
            os.setgroups(groups)
            os.setgid(65534)
            os.setuid(65534)
            result = asdict(diagnose(Engine(host=host, timeout=5)))
        except BaseException as exc:  # report anything to the parent
            result = {"child_error": repr(exc)}
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    return dict(json.loads(data))


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown the socket and drop to nobody")
def test_socket_permission_denied_names_the_gid_and_group_add(forwarder):
    assert diagnose(Engine(host=forwarder.url)).reachable  # warm imports before dropping root
    os.chown(forwarder.path, 0, SOCKET_GID)
    os.chmod(forwarder.path, 0o660)

    denied = _diagnose_as_nobody(forwarder.url, groups=[])
    assert "child_error" not in denied, denied
    assert denied["reachable"] is False
    assert denied["uid"] == 65534
    assert "Permission denied" in denied["problem"]
    assert f"(gid {SOCKET_GID})" in denied["fix"]
    assert f'group_add: ["{SOCKET_GID}"]' in denied["fix"]
    assert denied["socket"]["gid"] == SOCKET_GID and denied["socket"]["mode"] == "srw-rw----"
    assert denied["socket"]["accessible"] is False

    allowed = _diagnose_as_nobody(forwarder.url, groups=[SOCKET_GID])
    assert allowed["reachable"] is True, allowed
    assert allowed["problem"] is None and allowed["version"]


def test_permission_errors_are_classified_with_the_fix(forwarder, monkeypatch):
    """The same classification in-process: the socket connect raises EACCES."""
    import socket as socket_module

    real_connect = socket_module.socket.connect

    def refuse(self, address):
        if address == forwarder.path:
            raise PermissionError(13, "Permission denied")
        return real_connect(self, address)

    monkeypatch.setattr(socket_module.socket, "connect", refuse)
    with pytest.raises(EnginePermissionDenied) as info:
        DockerManager(Engine(host=forwarder.url)).list_containers()
    gid = os.stat(forwarder.path).st_gid
    assert "Permission denied opening the Docker socket" in info.value.message
    assert f'group_add: ["{gid}"]' in info.value.message


def test_doctor_with_the_real_engine_exits_0(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no stray .env
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("engine      ok")
    assert "version     " in result.output

    as_json = CliRunner().invoke(app, ["doctor", "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output)["reachable"] is True


def test_doctor_with_a_missing_socket_exits_1_and_prints_the_fix(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKERDEPLOYER_DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert result.output.startswith(f"engine      FAIL  unix://{tmp_path}/absent.sock")
    assert f"socket      {tmp_path}/absent.sock  does not exist" in result.output
    assert "problem     No Docker socket at" in result.output
    assert "fix         Start the Docker engine" in result.output

    as_json = CliRunner().invoke(app, ["doctor", "--json"])
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert report["reachable"] is False and report["fix"].startswith("Start the Docker engine")


def test_doctor_reports_a_permission_problem_with_the_gid(forwarder, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKERDEPLOYER_DOCKER_HOST", forwarder.url)
    import socket as socket_module

    real_connect = socket_module.socket.connect

    def refuse(self, address):
        if address == forwarder.path:
            raise PermissionError(13, "Permission denied")
        return real_connect(self, address)

    monkeypatch.setattr(socket_module.socket, "connect", refuse)
    os.chown(forwarder.path, 0, SOCKET_GID)
    result = CliRunner().invoke(app, ["doctor"])
    assert result.exit_code == 1
    assert f"group {_group_name(SOCKET_GID)} (gid {SOCKET_GID})" in result.output
    assert f"fix         The socket {forwarder.path} belongs to group" in result.output
    assert f'group_add: ["{SOCKET_GID}"]' in result.output


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
