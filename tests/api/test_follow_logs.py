"""GET /api/containers/{ref}/logs?follow=true: Server-Sent Events from the real engine."""

from __future__ import annotations

import gc
import threading
import time

import httpx

import api.routes.containers as containers_route
from api.main import create_app
from dockerdeployer.wiring import build_services
from tests.api.helpers import sse_events
from tests.conftest import unique
from tests.live_server import served
from tools.guard.policy import Actor, Role
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


def follow_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "follow-logs"]


def test_a_client_that_leaves_ends_the_engine_stream(api_settings, model, user_headers,
                                                     make_container):  # fmt: skip
    # A long window over a container that keeps writing: only the client leaving can end the
    # reader early (without `stop`, it would read on, for nobody, for the whole 600 s).
    settings = api_settings.model_copy(update={"follow_seconds_max": 600})
    container = make_container("sse-leave", command=TICKER)
    with served(create_app(services=build_services(settings, model=model)), "sse-leave") as url:
        with httpx.stream(
            "GET", f"{url}/api/containers/{container.name}/logs",
            params={"follow": "true", "seconds": 600}, headers=user_headers["viewer"], timeout=30,
        ) as response:  # fmt: skip
            seen = 0
            for line in response.iter_lines():
                seen += line == "event: line"
                if seen == 3:  # the stream is live: its reader is at work
                    break
        deadline = time.monotonic() + 20  # a generous margin; the window is 600 s
        while follow_threads() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert seen == 3
    assert not follow_threads(), "the engine stream outlived its client"


def test_too_many_open_streams_is_429(client, user_headers, make_container, monkeypatch):
    monkeypatch.setattr(containers_route, "_STREAMS", threading.BoundedSemaphore(1))
    container = make_container("sse-cap", command=TICKER)
    params = {"follow": "true", "seconds": 2}
    with client.stream("GET", f"/api/containers/{container.name}/logs", params=params,
                       headers=user_headers["viewer"]) as open_one:  # fmt: skip
        assert open_one.status_code == 200
        second = client.get(f"/api/containers/{container.name}/logs", params=params,
                            headers=user_headers["viewer"])  # fmt: skip
        open_one.read()
    after = client.get(f"/api/containers/{container.name}/logs", params=params,
                       headers=user_headers["viewer"])  # fmt: skip

    assert second.status_code == 429 and "log streams" in second.json()["detail"]
    assert after.status_code == 200  # the slot came back when the first stream ended


def test_a_stream_never_started_gives_its_slot_back(services, make_container, monkeypatch):
    # The client went away before the first byte: the response's generator never runs.
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(containers_route, "_STREAMS", slots)
    container = make_container("sse-unstarted", command=TICKER)
    response = containers_route.container_logs(
        container.name, Actor("victor", Role.VIEWER), services, tail=1, since=None, grep=None,
        follow=True, seconds=600,
    )  # fmt: skip
    assert not slots.acquire(blocking=False)  # held by the response
    del response
    gc.collect()

    assert slots.acquire(blocking=False), "the slot of a stream never started was kept"
