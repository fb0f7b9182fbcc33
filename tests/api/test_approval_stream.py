"""POST /api/approvals/{id}/stream: an approved deploy of a missing image streams the pull's
progress, then the decision; verified on the engine, with a real registry on loopback."""

from __future__ import annotations

import contextlib

import docker.errors

from tests.api.helpers import sse_events
from tests.conftest import RUN_ID, TEST_LABEL, unique
from tests.registry import push
from tools.guard.policy import Actor, Role


def test_approving_a_deploy_streams_the_pull_then_the_outcome(
    registry, client, user_headers, services, docker_client, cleanup_names
):
    ref = push(docker_client, registry, "streamed")
    name = unique("streamed")
    cleanup_names.append(name)
    args = {"image": ref, "name": name, "command": ["sh", "-c", "sleep 600"],
            "labels": {TEST_LABEL: RUN_ID}}  # fmt: skip
    pending = services.gateway.call(Actor("oscar", Role.OPERATOR), "run_container", args)
    assert pending.status == "pending_approval", pending.message
    approval_id = pending.approval["id"]
    try:
        with client.stream(
            "POST", f"/api/approvals/{approval_id}/stream", json={"decision": "approve"},
            headers=user_headers["admin"],
        ) as response:  # fmt: skip
            assert response.status_code == 200
            got = sse_events(response.read().decode())
        again = client.post(
            f"/api/approvals/{approval_id}/stream", json={"decision": "approve"},
            headers=user_headers["admin"],
        )  # fmt: skip

        progress = [data for event, data in got if event == "progress"]
        assert progress and progress[0]["image"] == ref
        assert progress[0]["status"].startswith("Pulling from")
        event, done = got[-1]
        assert event == "done" and done["outcome"]["status"] == "executed", got[-1]
        assert docker_client.api.inspect_container(name)["State"]["Running"]
        assert again.status_code == 409  # decided: a status, not a stream
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)


def test_a_stranger_cannot_stream_someone_elses_approval(client, user_headers):
    missing = client.post(
        "/api/approvals/no-such-approval/stream", json={"decision": "approve"},
        headers=user_headers["viewer"],
    )  # fmt: skip
    assert missing.status_code == 404
