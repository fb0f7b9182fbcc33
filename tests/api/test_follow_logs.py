"""GET /api/containers/{ref}/logs?follow=true: Server-Sent Events from the real engine."""

from __future__ import annotations

from tests.api.helpers import sse_events
from tests.conftest import unique
from tools.labels import PROTECT_LABEL

TICKER = ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]


def test_follow_streams_lines_then_ends(client, user_headers, make_container):
    container = make_container("sse-tick", command=TICKER)
    with client.stream(
        "GET",
        f"/api/containers/{container.name}/logs",
        params={"follow": "true", "tail": 1, "seconds": 2},
        headers=user_headers["viewer"],
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()

    got = sse_events(body)
    lines = [data["text"] for event, data in got if event == "line"]
    assert len(lines) >= 4 and all(line.startswith("tick ") for line in lines)
    assert got[-1] == ("end", {"lines": len(lines)})


def test_follow_refusals_keep_their_status(client, user_headers, make_container):
    protected = make_container("sse-protected", command=TICKER, labels={PROTECT_LABEL: "true"})
    params = {"follow": "true", "seconds": 1}

    unknown = client.get(
        f"/api/containers/{unique('nope')}/logs", params=params, headers=user_headers["viewer"]
    )
    denied = client.get(
        f"/api/containers/{protected.name}/logs", params=params, headers=user_headers["viewer"]
    )
    too_long = client.get(
        f"/api/containers/{protected.name}/logs",
        params={"follow": "true", "seconds": 999_999},
        headers=user_headers["admin"],
    )
    anonymous = client.get(f"/api/containers/{protected.name}/logs", params=params)

    assert unknown.status_code == 404 and "detail" in unknown.json()
    assert denied.status_code == 403 and "admin" in denied.json()["detail"]
    assert too_long.status_code == 422
    assert anonymous.status_code == 401
