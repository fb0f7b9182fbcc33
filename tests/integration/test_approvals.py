"""Approvals on the real engine: single use, expiry, who may approve, and re-checks at run time."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from foundation.db import utcnow
from tests.conftest import RUN_ID, SLEEPER, TEST_LABEL, restart_count, unique
from tests.integration.conftest import count_engine_requests
from tools.approvals import ApprovalStatus
from tools.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalForbidden,
    ApprovalNotFound,
    ApprovalTargetChanged,
    PolicyDenied,
)
from tools.guard.policy import Actor, Role
from tools.store import ApprovalRow


def events(gateway, approval_id: str) -> list[str]:
    return sorted(e.event for e in gateway.audit.query(approval_id=approval_id))


def propose_restart(gateway, actor, container) -> str:
    outcome = gateway.call(actor, "restart_container", {"container": container.name, "timeout": 1})
    assert outcome.status == "pending_approval", outcome.message
    return str(outcome.approval["id"])


def test_double_approval_runs_once(gateway, make_container, docker_client, admin):
    container = make_container("twice")
    before = restart_count(docker_client, container.id)
    approval_id = propose_restart(gateway, admin, container)

    assert gateway.decide(approval_id, admin, approve=True).status == "executed"
    after = restart_count(docker_client, container.id)
    assert after != before
    with pytest.raises(ApprovalAlreadyDecided):
        gateway.decide(approval_id, admin, approve=True)
    with pytest.raises(ApprovalAlreadyDecided):
        gateway.decide(approval_id, admin, approve=False)

    assert restart_count(docker_client, container.id) == after
    assert gateway.approvals.get(approval_id).status is ApprovalStatus.EXECUTED
    assert events(gateway, approval_id) == ["approved", "executed", "proposed"]


def test_concurrent_approvals_run_exactly_once(gateway, make_container, docker_client, admin):
    container = make_container("race")
    approval_id = propose_restart(gateway, admin, container)
    since = int(time.time()) - 1
    second_admin = Actor("bob", Role.ADMIN)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def approve(actor: Actor) -> None:
        barrier.wait()
        try:
            results.append(gateway.decide(approval_id, actor, approve=True).status)
        except ApprovalAlreadyDecided:
            results.append("refused")

    threads = [threading.Thread(target=approve, args=(a,)) for a in (admin, second_admin) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["executed", "refused", "refused", "refused"]
    executed = [e for e in gateway.audit.query(approval_id=approval_id) if e.event == "executed"]
    assert len(executed) == 1
    # The engine's own event stream: exactly one restart of this container.
    restarts = docker_client.api.events(
        since=since, until=int(time.time()) + 1, decode=True,
        filters={"container": container.id, "event": "restart"},
    )  # fmt: skip
    assert len(list(restarts)) == 1
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]


def test_reject_runs_nothing(gateway, make_container, docker_client, admin):
    container = make_container("reject")
    before = restart_count(docker_client, container.id)
    approval_id = propose_restart(gateway, admin, container)

    outcome = gateway.decide(approval_id, admin, approve=False, reason="not now")

    assert outcome.status == "rejected" and outcome.message == "not now"
    assert gateway.approvals.get(approval_id).status is ApprovalStatus.REJECTED
    with pytest.raises(ApprovalAlreadyDecided):
        gateway.decide(approval_id, admin, approve=True)
    assert restart_count(docker_client, container.id) == before
    assert events(gateway, approval_id) == ["proposed", "rejected"]


def test_expired_approvals_do_not_run(gateway, make_container, docker_client, admin):
    container = make_container("expire")
    before = restart_count(docker_client, container.id)
    approval_id = propose_restart(gateway, admin, container)
    with gateway.approvals.sessions.begin() as session:
        session.execute(
            update(ApprovalRow)
            .where(ApprovalRow.id == approval_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    with pytest.raises(ApprovalExpired, match="expired at .* UTC; ask again"):
        gateway.decide(approval_id, admin, approve=True)

    assert gateway.approvals.get(approval_id).status is ApprovalStatus.EXPIRED
    assert restart_count(docker_client, container.id) == before
    assert events(gateway, approval_id) == ["expired", "proposed"]
    with pytest.raises(ApprovalAlreadyDecided):
        gateway.decide(approval_id, admin, approve=True)


def test_the_ttl_comes_from_settings(make_gateway, make_container, admin):
    gateway = make_gateway(approval_ttl_seconds=30)
    approval = gateway.approvals.get(propose_restart(gateway, admin, make_container("ttl")))
    assert approval.expires_at - approval.created_at == timedelta(seconds=30)


def test_a_viewer_may_not_approve(gateway, make_container, docker_client, admin, viewer):
    container = make_container("viewer")
    before = restart_count(docker_client, container.id)
    approval_id = propose_restart(gateway, admin, container)

    with pytest.raises(ApprovalForbidden, match="needs role operator; victor is viewer"):
        gateway.decide(approval_id, viewer, approve=True)
    with pytest.raises(ApprovalForbidden):
        gateway.decide(approval_id, viewer, approve=False)

    assert gateway.approvals.get(approval_id).status is ApprovalStatus.PENDING
    assert restart_count(docker_client, container.id) == before


def test_an_operator_may_not_approve_a_destructive_call(gateway, make_container, admin, operator,
                                                        docker_client):  # fmt: skip
    container = make_container("opdel")
    proposal = gateway.call(admin, "remove_container", {"container": container.name, "force": True})
    with pytest.raises(ApprovalForbidden, match="needs role admin"):
        gateway.decide(proposal.approval["id"], operator, approve=True)
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]


def test_a_bot_may_not_approve_even_as_admin(gateway, make_container, docker_client, admin):
    container = make_container("bot")
    before = restart_count(docker_client, container.id)
    approval_id = propose_restart(gateway, admin, container)
    bot = Actor("ci-bot", Role.ADMIN, kind="bot")

    with pytest.raises(ApprovalForbidden, match="bot tokens may request actions but not approve"):
        gateway.decide(approval_id, bot, approve=True)

    assert gateway.approvals.get(approval_id).status is ApprovalStatus.PENDING
    assert restart_count(docker_client, container.id) == before


def test_unknown_approval(gateway, admin):
    with pytest.raises(ApprovalNotFound):
        gateway.decide("0123456789abcdef", admin, approve=True)


def test_a_container_replaced_under_the_same_name_is_not_acted_on(
    gateway, make_container, docker_client, admin
):
    original = make_container("swap")
    name = original.name
    approval_id = propose_restart(gateway, admin, original)
    docker_client.api.remove_container(original.id, force=True)
    impostor = make_container("swap", name=name)
    before = restart_count(docker_client, impostor.id)

    with pytest.raises(ApprovalTargetChanged, match="has changed since it was requested"):
        gateway.decide(approval_id, admin, approve=True)

    assert restart_count(docker_client, impostor.id) == before
    assert gateway.approvals.get(approval_id).status is ApprovalStatus.STALE
    assert events(gateway, approval_id) == ["approved", "denied", "proposed"]


def test_a_container_removed_after_the_proposal_fails_cleanly(
    gateway, make_container, docker_client, admin
):
    container = make_container("gone")
    approval_id = propose_restart(gateway, admin, container)
    docker_client.api.remove_container(container.id, force=True)

    outcome = gateway.decide(approval_id, admin, approve=True)

    assert outcome.status == "failed"
    assert outcome.message.startswith(f"not run: No container named {container.name!r}")
    assert gateway.approvals.get(approval_id).status is ApprovalStatus.FAILED
    assert events(gateway, approval_id) == ["approved", "failed", "proposed"]


def test_policy_is_rechecked_when_the_approval_runs(gateway, make_container, docker_client, admin):
    container = make_container("recheck")
    before = restart_count(docker_client, container.id)
    approval_id = propose_restart(gateway, admin, container)
    gateway.policy.protected_names.append(container.name)  # protected after the proposal

    with pytest.raises(PolicyDenied, match="protected name pattern"):
        gateway.decide(approval_id, admin, approve=True)

    assert restart_count(docker_client, container.id) == before
    assert gateway.approvals.get(approval_id).status is ApprovalStatus.STALE
    assert "denied" in events(gateway, approval_id)


def test_an_approval_is_bound_to_its_arguments(gateway, make_container, docker_client, admin):
    container = make_container("bound")
    approval_id = propose_restart(gateway, admin, container)
    approval = gateway.approvals.get(approval_id)
    # Tamper with the stored call: a different timeout is a different action.
    with gateway.approvals.sessions.begin() as session:
        session.execute(
            update(ApprovalRow)
            .where(ApprovalRow.id == approval_id)
            .values(args={**approval.args, "timeout": 600})
        )
    before = restart_count(docker_client, container.id)
    with pytest.raises(ApprovalTargetChanged):
        gateway.decide(approval_id, admin, approve=True)
    assert restart_count(docker_client, container.id) == before


def test_a_failed_execution_is_audited_as_failed(
    gateway, docker_client, admin, cleanup_names, test_image
):
    # The name gets taken between proposal and execution: the run is re-planned, refused,
    # and the container that took the name is left alone.
    name = unique("late")
    cleanup_names.append(name)
    labels = {TEST_LABEL: RUN_ID}
    args = {"image": test_image, "name": name, "command": SLEEPER, "labels": labels}
    proposal = gateway.call(admin, "run_container", args)
    assert proposal.status == "pending_approval"
    occupier = docker_client.api.create_container(test_image, name=name, labels=labels)

    outcome = gateway.decide(proposal.approval["id"], admin, approve=True)

    assert outcome.status == "failed" and "already exists" in outcome.message
    info = docker_client.api.inspect_container(name)
    assert info["Id"] == occupier["Id"] and not info["State"]["Running"]
    assert events(gateway, proposal.approval["id"]) == ["approved", "failed", "proposed"]


def test_denials_get_a_row_and_reads_are_counted(gateway, make_container, viewer, admin):
    container = make_container("audit")
    gateway.call(viewer, "stop_container", {"container": container.name})
    for _ in range(3):
        gateway.call(viewer, "inspect_container", {"container": container.name})
    gateway.call(viewer, "inspect_container", {"container": "no-such-container-here"})
    [denied] = gateway.audit.query(event="denied")
    assert denied.actor == "victor" and denied.tool == "stop_container"
    assert "role viewer may not run stop_container" in (denied.message or "")
    assert gateway.audit.query(tool="inspect_container") == []  # no row per read
    [reads] = gateway.audit.read_counts(actor="victor")
    assert (reads.tool, reads.executed, reads.failed) == ("inspect_container", 3, 1)


def test_call_ids_make_a_proposal_idempotent(gateway, make_container, docker_client, admin):
    container = make_container("callid")
    args = {"container": container.name, "timeout": 1}
    first = gateway.call(admin, "restart_container", args, call_id="call-1")
    again = gateway.call(admin, "restart_container", args, call_id="call-1")
    assert again.status == "pending_approval"
    assert again.approval["id"] == first.approval["id"]
    assert len(gateway.approvals.list()) == 1
    gateway.decide(first.approval["id"], admin, approve=True)
    replay = gateway.call(admin, "restart_container", args, call_id="call-1")
    assert replay.status == "executed"
    assert len([e for e in gateway.audit.query() if e.event == "executed"]) == 1


@pytest.fixture(autouse=True)
def _no_leftover_approvals_running(gateway):
    yield
    stuck = gateway.approvals.list(status=ApprovalStatus.EXECUTING.value)
    assert stuck == [], "an approval was left claimed but never finished"


def test_the_role_is_checked_before_anything_is_resolved(
    gateway, engine, make_container, docker_client, viewer, operator
):
    container = make_container("order")
    with count_engine_requests(engine) as sent:
        remove = gateway.call(viewer, "remove_container", {"container": container.name})
        unknown = gateway.call(operator, "remove_container", {"container": "no-such-thing"})
    # Not "is running; stop it first" (409) nor "No container named" (404): the caller may not
    # do this at all, and learns nothing about the container's state.
    assert remove.status == "denied" and remove.error_code == "denied"
    assert remove.message.startswith("role viewer may not run remove_container")
    assert unknown.status == "denied"
    assert sent == [], "a forbidden call costs no engine round trip"
    assert docker_client.api.inspect_container(container.id)["State"]["Running"]
