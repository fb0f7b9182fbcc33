"""Approvals through the API: single use, reject, who may decide, expiry, changed targets,
and threads that belong to someone else."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from foundation.db import utcnow
from tests.api.helpers import assert_refused, started_at, tool_call
from tests.conftest import SLEEPER
from tools.store import ApprovalRow


def request_restart(client: Any, headers: dict[str, str], name: str) -> dict[str, Any]:
    response = client.post(f"/api/containers/{name}/restart", headers=headers)
    assert response.status_code == 202, response.text
    return dict(response.json()["approval"])


def decide(
    client: Any, headers: dict[str, str], approval_id: str, decision: str = "approve"
) -> Any:
    return client.post(
        f"/api/approvals/{approval_id}", json={"decision": decision}, headers=headers
    )


def test_approve_runs_once(client, user_headers, make_container, docker_client):
    container = make_container("once")
    before = started_at(docker_client, container.id)
    approval = request_restart(client, user_headers["operator"], container.name)

    first = decide(client, user_headers["admin"], approval["id"])
    assert first.status_code == 200, first.text
    assert first.json()["outcome"]["status"] == "executed"
    assert first.json()["approval"]["status"] == "executed"
    after = started_at(docker_client, container.id)
    assert after != before

    second = decide(client, user_headers["admin"], approval["id"])
    body = assert_refused(second, 409)
    assert body["code"] == "approval_already_decided"
    assert started_at(docker_client, container.id) == after

    listed = client.get(
        "/api/approvals", params={"status": "executed"}, headers=user_headers["operator"]
    )
    assert approval["id"] in {a["id"] for a in listed.json()}
    seen_by_viewer = client.get("/api/approvals", headers=user_headers["viewer"]).json()
    assert approval["id"] not in {a["id"] for a in seen_by_viewer}  # another's request


def test_reject_runs_nothing_and_is_final(client, user_headers, make_container, docker_client):
    container = make_container("reject")
    before = started_at(docker_client, container.id)
    approval = request_restart(client, user_headers["operator"], container.name)

    rejected = client.post(
        f"/api/approvals/{approval['id']}",
        json={"decision": "reject", "reason": "not during business hours"},
        headers=user_headers["operator"],
    )

    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["outcome"]["status"] == "rejected"
    assert rejected.json()["approval"]["reason"] == "not during business hours"
    assert_refused(decide(client, user_headers["admin"], approval["id"]), 409)
    assert started_at(docker_client, container.id) == before
    events = client.get(
        "/api/audit", params={"approval_id": approval["id"]}, headers=user_headers["admin"]
    ).json()
    assert sorted(e["event"] for e in events) == ["proposed", "rejected"]


def test_a_viewer_or_a_bot_cannot_approve(
    client, user_headers, bot_headers, make_container, docker_client
):
    container = make_container("noauth")
    before = started_at(docker_client, container.id)
    approval = request_restart(client, user_headers["operator"], container.name)

    for headers in (user_headers["viewer"], bot_headers["operator"], bot_headers["admin"]):
        body = assert_refused(decide(client, headers, approval["id"]), 403)
        assert body["code"] == "approval_forbidden"
        # Rejecting is a decision too.
        assert_refused(decide(client, headers, approval["id"], "reject"), 403)

    current = client.get(f"/api/approvals/{approval['id']}", headers=user_headers["admin"])
    assert current.json()["status"] == "pending"
    assert started_at(docker_client, container.id) == before


def test_an_expired_approval_is_410_and_runs_nothing(
    client, services, user_headers, make_container, docker_client
):
    container = make_container("expired")
    before = started_at(docker_client, container.id)
    approval = request_restart(client, user_headers["operator"], container.name)
    with services.gateway.approvals.sessions.begin() as session:
        session.execute(
            update(ApprovalRow)
            .where(ApprovalRow.id == approval["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    body = assert_refused(decide(client, user_headers["admin"], approval["id"]), 410)
    assert "expired" in body["detail"]

    assert_refused(decide(client, user_headers["admin"], approval["id"]), 409)
    assert started_at(docker_client, container.id) == before
    current = client.get(f"/api/approvals/{approval['id']}", headers=user_headers["admin"]).json()
    assert current["status"] == "expired"


def test_an_approval_for_a_recreated_container_runs_nothing(
    client, user_headers, make_container, docker_client
):
    original = make_container("recreated")
    name = original.name
    approval = request_restart(client, user_headers["operator"], name)
    docker_client.api.remove_container(original.id, force=True)
    impostor = make_container(name=name, command=SLEEPER)
    assert impostor.id != original.id
    before = started_at(docker_client, impostor.id)

    body = assert_refused(decide(client, user_headers["admin"], approval["id"]), 409)

    assert body["code"] == "approval_target_changed"
    assert started_at(docker_client, impostor.id) == before
    current = client.get(f"/api/approvals/{approval['id']}", headers=user_headers["admin"]).json()
    assert current["status"] == "stale"
    events = client.get(
        "/api/audit", params={"approval_id": approval["id"]}, headers=user_headers["admin"]
    ).json()
    assert "executed" not in {e["event"] for e in events}


def test_unknown_and_hostile_approval_ids_are_404(client, user_headers):
    for approval_id in ("0123456789abcdef", "x" * 10_000, "%27%20OR%201%3D1--"):
        assert_refused(
            client.get(f"/api/approvals/{approval_id}", headers=user_headers["admin"]), 404
        )
        assert_refused(decide(client, user_headers["admin"], approval_id), 404)


def test_a_user_may_not_continue_another_users_thread(client, model, user_headers, bot_headers):
    model.say("Here is what I know.")
    started = client.post("/api/chat", json={"message": "hello"}, headers=user_headers["viewer"])
    assert started.status_code == 200, started.text
    thread_id = started.json()["thread_id"]

    # (Admins may continue any thread: agent/assistant.py allows it on purpose.)
    for headers in (user_headers["operator"], bot_headers["operator"]):
        model.say(tool_call("list_containers"))  # must never be reached
        body = assert_refused(
            client.post(
                "/api/chat", json={"message": "and now?", "thread_id": thread_id}, headers=headers
            ),
            403,
        )
        assert body["code"] == "thread_forbidden"
        assert_refused(client.get(f"/api/threads/{thread_id}", headers=headers), 403)
        model.reset()

    history = client.get(f"/api/threads/{thread_id}", headers=user_headers["viewer"]).json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]


def test_the_stream_refuses_another_users_thread_before_streaming(client, user_headers):
    started = client.post("/api/chat", json={"message": "hi"}, headers=user_headers["viewer"])
    thread_id = started.json()["thread_id"]
    response = client.post(
        "/api/chat/stream",
        json={"message": "continue", "thread_id": thread_id},
        headers=user_headers["operator"],
    )
    body = assert_refused(response, 403)
    assert body["code"] == "thread_forbidden"


def test_concurrent_approvals_run_the_action_once(
    client, user_headers, make_container, docker_client
):
    container = make_container("race")
    approval = request_restart(client, user_headers["operator"], container.name)
    since = time.time_ns()

    def approve(_: int) -> int:
        with TestClient(client.app, raise_server_exceptions=False) as other:
            return int(decide(other, user_headers["admin"], approval["id"]).status_code)

    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(pool.map(approve, range(6)))

    assert statuses == [200, 409, 409, 409, 409, 409], statuses
    events = docker_client.events(
        since=since // 1_000_000_000,
        until=int(time.time()) + 1,
        decode=True,
        filters={"container": container.id, "event": "restart"},
    )
    assert len([e for e in events if int(e["timeNano"]) > since]) == 1


def test_an_approval_claimed_before_a_crash_never_runs(
    client, services, user_headers, make_container, docker_client
):
    # A process that died between claiming and finishing leaves the row `executing`.
    container = make_container("crashed")
    before = started_at(docker_client, container.id)
    approval = request_restart(client, user_headers["operator"], container.name)
    with services.gateway.approvals.sessions.begin() as session:
        session.execute(
            update(ApprovalRow).where(ApprovalRow.id == approval["id"]).values(status="executing")
        )

    body = assert_refused(decide(client, user_headers["admin"], approval["id"]), 409)

    assert "executing" in body["detail"]
    assert started_at(docker_client, container.id) == before


def test_a_chat_approval_that_expires_still_settles_its_thread(
    client, services, model, user_headers, make_container, docker_client
):
    container = make_container("settle")
    before = started_at(docker_client, container.id)
    model.say(tool_call("restart_container", container=container.name), "It expired; ask again.")
    turn = client.post(
        "/api/chat", json={"message": "restart it"}, headers=user_headers["operator"]
    ).json()
    [approval] = turn["approvals"]
    with services.gateway.approvals.sessions.begin() as session:
        session.execute(
            update(ApprovalRow)
            .where(ApprovalRow.id == approval["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    assert_refused(decide(client, user_headers["operator"], approval["id"]), 410)

    # The paused tool call got its answer (nothing ran), so the thread is whole again.
    history = client.get(
        f"/api/threads/{turn['thread_id']}", headers=user_headers["operator"]
    ).json()
    [tool] = [m["content"] for m in history["messages"] if m["role"] == "tool"]
    assert tool["status"] == "failed" and "expired" in tool["message"]
    assert history["messages"][-1] == {"role": "assistant", "content": "It expired; ask again."}
    assert started_at(docker_client, container.id) == before
