"""Two API processes on one PostgreSQL database behave as one service: sign-in, approvals
(decided on either, run exactly once even when approved on both at the same moment), paused
conversations (resumed on either) and SSE streams (on either)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import docker
import httpx
from sqlalchemy import select

from foundation.db import make_engine, make_sessionmaker
from tests.postgres.conftest import Service
from tools.store import AuditRow


def restarts(client: docker.DockerClient, container_id: str, since: float) -> int:
    """How many times the engine restarted the container since `since` (its own events)."""
    events = client.api.events(
        since=int(since) - 1,
        until=int(time.time()) + 1,
        filters={"container": container_id, "event": "restart"},
        decode=True,
    )
    return sum(1 for _ in events)


def audit_events(service: Service, approval_id: str) -> list[str]:
    sessions = make_sessionmaker(make_engine(service.url))
    stmt = select(AuditRow.event).where(AuditRow.approval_id == approval_id).order_by(AuditRow.id)
    with sessions() as session:
        return list(session.scalars(stmt))


def test_a_token_signed_in_on_one_replica_works_on_the_other_and_sign_out_is_shared(
    service, both
):
    a, b = both("viewer")
    assert a.get("/api/containers").status_code == 200
    assert b.get("/api/containers").status_code == 200
    fresh = service.replicas[0].client()
    login = fresh.post("/api/auth/login", json={"username": "victor", "password": service_pw()})
    token = login.json()["access_token"]
    on_a, on_b = service.replicas[0].client(token), service.replicas[1].client(token)
    assert on_b.get("/api/auth/me").status_code == 200
    assert on_a.post("/api/auth/logout").status_code in (200, 204)
    assert on_b.get("/api/auth/me").status_code == 401  # revoked for the whole service
    for http in (fresh, on_a, on_b):
        http.close()


def service_pw() -> str:
    from tests.postgres.conftest import PASSWORD

    return PASSWORD


def test_an_approval_approved_on_both_replicas_at_once_runs_exactly_once(
    service, both, make_container, docker_client
):
    container = make_container("repl-once")
    operator_a, _ = both("operator")
    admin_a, admin_b = both("admin")
    proposed = operator_a.post(f"/api/containers/{container.name}/restart")
    assert proposed.status_code == 202, proposed.text
    approval_id = proposed.json()["approval"]["id"]
    since = time.time()

    barrier = threading.Barrier(8)

    def approve(i: int) -> int:
        http = admin_a if i % 2 else admin_b
        barrier.wait()
        return http.post(f"/api/approvals/{approval_id}", json={"decision": "approve"}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(approve, range(8)))
    assert codes == [200] + [409] * 7, codes
    assert restarts(docker_client, container.id, since) == 1
    assert audit_events(service, approval_id) == ["proposed", "approved", "executed"]
    shown = admin_b.get(f"/api/approvals/{approval_id}").json()
    assert shown["status"] == "executed"


def test_a_conversation_paused_on_one_replica_resumes_on_the_other(
    service, both, make_container, docker_client
):
    container = make_container("repl-chat")
    operator_a, operator_b = both("operator")
    _, admin_b = both("admin")
    turn = operator_a.post("/api/chat", json={"message": f"restart {container.name}"})
    assert turn.status_code == 200, turn.text
    body = turn.json()
    assert [a["tool"] for a in body["approvals"]] == ["restart_container"], body
    thread_id, approval_id = body["thread_id"], body["approvals"][0]["id"]
    # The pause is visible from the other replica too (the checkpoint is in PostgreSQL).
    paused = operator_b.get(f"/api/threads/{thread_id}").json()
    assert [a["id"] for a in paused["approvals"]] == [approval_id]

    since = time.time()
    decided = admin_b.post(f"/api/approvals/{approval_id}", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    resumed = decided.json()
    assert resumed["outcome"]["status"] == "executed"
    assert resumed["chat"] is not None, resumed.get("chat_error")
    assert resumed["chat"]["thread_id"] == thread_id
    assert resumed["chat"]["approvals"] == []
    assert restarts(docker_client, container.id, since) == 1

    history = operator_a.get(f"/api/threads/{thread_id}").json()
    tools = [m["content"] for m in history["messages"] if m["role"] == "tool"]
    assert any(t.get("tool") == "restart_container" and t.get("status") == "executed"
               for t in tools), history  # fmt: skip
    assert history["approvals"] == []
    # The thread goes on, on the first replica.
    more = operator_a.post("/api/chat", json={"message": "list containers", "thread_id": thread_id})
    assert more.status_code == 200, more.text


def sse(http: Any, message: str) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    with http.stream("POST", "/api/chat/stream", json={"message": message}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event:
                events.append((event, json.loads(line.removeprefix("data: "))))
    return events


def test_sse_streams_work_on_either_replica(service, both, make_container):
    container = make_container("repl-sse")
    for http in both("operator"):
        events = sse(http, f"logs of {container.name}")
        kinds = [kind for kind, _ in events]
        assert kinds[0] == "thread" and kinds[-1] == "done", kinds
        assert "error" not in kinds, events
        assert "tool_call" in kinds and "tool_result" in kinds, kinds


def test_an_sse_turn_paused_on_one_replica_is_approved_on_the_other(
    service, both, make_container, docker_client
):
    container = make_container("repl-sse-ok")
    operator_a, _ = both("operator")
    _, admin_b = both("admin")
    events = sse(operator_a, f"stop {container.name}")
    approvals = [data for kind, data in events if kind == "approval"]
    assert len(approvals) == 1, events
    decided = admin_b.post(f"/api/approvals/{approvals[0]['id']}", json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["outcome"]["status"] == "executed"
    container.reload()
    assert container.status == "exited"


def test_sign_in_throttling_counts_attempts_on_every_replica(service):
    """The allowance is one for the service, not one per replica."""
    from tests.postgres.conftest import PASSWORD

    codes = []
    for attempt in range(12):
        replica = service.replicas[attempt % 2]
        reply = httpx.post(f"{replica.base}/api/auth/login", timeout=60,
                           json={"username": "ada", "password": f"wrong-{attempt}"})  # fmt: skip
        codes.append(reply.status_code)
        if reply.status_code == 429:
            break
    assert codes[-1] == 429 and set(codes[:-1]) == {401}, codes
    assert len(codes) <= 6, codes  # DOCKERDEPLOYER_LOGIN_ATTEMPTS (5) in all, not 5 per replica
    blocked = service.replicas[len(codes) % 2]  # the replica that did not say 429
    right = httpx.post(f"{blocked.base}/api/auth/login", timeout=60,
                       json={"username": "ada", "password": PASSWORD})  # fmt: skip
    assert right.status_code == 429, right.text
