"""The guarded path end to end on the real engine: propose, approve once, audit."""

from __future__ import annotations

from tests.conftest import restart_count
from tools.errors import ApprovalAlreadyDecided


def test_restart_waits_for_approval_and_runs_once(gateway, make_container, docker_client, admin):
    container = make_container("restart")
    before = restart_count(docker_client, container.id)

    outcome = gateway.call(admin, "restart_container", {"container": container.name})

    assert outcome.status == "pending_approval"
    assert outcome.approval["targets"][0]["id"] == container.id
    assert outcome.approval["command"] == f"docker restart -t 10 {container.name}"
    assert restart_count(docker_client, container.id) == before  # nothing ran yet

    done = gateway.decide(outcome.approval["id"], admin, approve=True)
    assert done.status == "executed"
    after = restart_count(docker_client, container.id)
    assert after != before

    try:
        gateway.decide(outcome.approval["id"], admin, approve=True)
        raise AssertionError("a second approval must not run again")
    except ApprovalAlreadyDecided:
        pass
    assert restart_count(docker_client, container.id) == after
    events = [e.event for e in gateway.audit.query(approval_id=outcome.approval["id"])]
    assert sorted(events) == ["approved", "executed", "proposed"]
