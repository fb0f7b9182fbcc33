"""Approvals raised by the agent, on the real engine: expiry, double approval, and a process
restart between the request and the decision."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from langchain_core.messages import AIMessage
from sqlalchemy import update

from foundation.db import utcnow
from tests.agent.conftest import call, calls
from tests.conftest import restart_count
from tools.errors import ApprovalAlreadyDecided, ApprovalExpired
from tools.store import ApprovalRow


def _restart_script(scripted, name):
    return scripted([calls(call("restart_container", container=name)),
                     AIMessage(content="restarted")])  # fmt: skip


def test_expired_approval_refuses_and_nothing_runs(
    settings, scripted, make_assistant, make_container, docker_client, admin
):
    container = make_container("expire")
    before = restart_count(docker_client, container.id)
    assistant = make_assistant(settings, _restart_script(scripted, container.name))
    paused = assistant.chat(admin, "restart it")
    approval_id = paused.approvals[0]["id"]
    with assistant.gateway.approvals.sessions.begin() as session:
        session.execute(
            update(ApprovalRow)
            .where(ApprovalRow.id == approval_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    with pytest.raises(ApprovalExpired):
        assistant.gateway.decide(approval_id, admin, approve=True)
    resumed = assistant.resume(admin, paused.thread_id)

    assert restart_count(docker_client, container.id) == before
    assert [(c["tool"], c["status"]) for c in resumed.tool_calls] == [
        ("restart_container", "failed")
    ]
    assert "expired" in resumed.tool_calls[0]["message"]


def test_concurrent_approvals_execute_once(
    settings, scripted, make_assistant, make_container, docker_client, admin
):
    container = make_container("double")
    assistant = make_assistant(settings, _restart_script(scripted, container.name))
    paused = assistant.chat(admin, "restart it")
    approval_id = paused.approvals[0]["id"]
    before = restart_count(docker_client, container.id)
    results: list[str] = []

    def approve() -> None:
        try:
            results.append(assistant.gateway.decide(approval_id, admin, approve=True).status)
        except ApprovalAlreadyDecided:
            results.append("already decided")

    threads = [threading.Thread(target=approve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == ["already decided"] * 3 + ["executed"]
    executed = assistant.gateway.audit.query(approval_id=approval_id, event="executed")
    assert len(executed) == 1
    assert restart_count(docker_client, container.id) != before


def test_pending_approval_survives_a_process_restart(
    settings, scripted, make_assistant, make_container, docker_client, admin
):
    container = make_container("survive")
    before = restart_count(docker_client, container.id)
    first = make_assistant(settings, _restart_script(scripted, container.name))
    paused = first.chat(admin, "restart it")
    del first  # the process "restarts": a new gateway, agent and checkpointer on the same home

    second = make_assistant(settings, scripted([AIMessage(content="restarted after all")]))
    [pending] = second.pending(paused.thread_id)
    assert pending["id"] == paused.approvals[0]["id"]
    second.gateway.decide(pending["id"], admin, approve=True)
    resumed = second.resume(admin, paused.thread_id)

    assert resumed.reply == "restarted after all"
    assert restart_count(docker_client, container.id) != before
    assert second.pending(paused.thread_id) == []
