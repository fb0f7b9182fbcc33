"""Following logs on the real engine: new lines arrive as written, and every stream ends (by
time, by the line cap, or when the container stops); refusals come before any line."""

from __future__ import annotations

import time

from tests.integration.conftest import case_labels, new_case
from tools.errors import ErrorCode
from tools.labels import PROTECT_LABEL

# One numbered line every 0.2 s, forever.
TICKER = ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]


def numbers(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("tick ")]


def test_follow_gives_new_lines_in_order_and_ends_at_its_time(gateway, admin, make_container):
    container = make_container("follow-tick", command=TICKER)
    time.sleep(0.5)
    before = numbers(
        gateway.call(admin, "container_logs", {"container": container.name})
        .result["text"]
        .splitlines()
    )

    started = time.monotonic()
    followed = gateway.follow_logs(admin, {"container": container.name, "tail": 1, "seconds": 2})
    got = numbers(list(followed.lines))
    took = time.monotonic() - started

    assert followed.outcome.status == "executed"
    assert len(got) >= 4, got  # ~10 written in the window
    assert got == list(range(got[0], got[0] + len(got))), "lines lost or out of order"
    assert got[-1] > max(before), "no line written after the call began"
    assert 1.5 <= took < 15, f"the stream ended after {took:.1f} s, asked for 2 s"


def test_follow_ends_when_the_container_stops(gateway, admin, make_container):
    container = make_container(
        "follow-exit", command=["sh", "-c", "sleep 1; echo one; echo two; sleep 1; exit 3"]
    )
    started = time.monotonic()
    followed = gateway.follow_logs(admin, {"container": container.name, "seconds": 120})
    lines = list(followed.lines)

    assert lines == ["one", "two"]
    assert time.monotonic() - started < 60, "the stream outlived its container"


def test_follow_applies_grep_and_the_line_cap(engine, make_container):
    from tools.manager import DockerManager

    container = make_container("follow-cap", command=TICKER)
    manager = DockerManager(engine)
    lines = list(manager.follow_logs(container.id, 1, None, "tick", seconds=30, max_lines=3))
    odd = list(manager.follow_logs(container.id, 50, None, "1", seconds=2, max_lines=100))

    assert len(lines) == 3
    assert odd and all("1" in line for line in odd)


def test_follow_of_an_unknown_container_fails_before_any_line(gateway, viewer):
    followed = gateway.follow_logs(viewer, {"container": "ddt-no-such-container-x"})

    assert followed.outcome.status == "failed"
    assert followed.outcome.error_code is ErrorCode.CONTAINER_NOT_FOUND
    assert list(followed.lines) == []


def test_follow_of_a_protected_container_is_for_admins_only(gateway, viewer, make_container):
    container = make_container(
        "follow-protected",
        command=TICKER,
        labels={**case_labels(new_case()), PROTECT_LABEL: "true"},
    )
    refused = gateway.follow_logs(viewer, {"container": container.name, "seconds": 1})

    assert refused.outcome.status == "denied"
    assert list(refused.lines) == []
    [denied] = gateway.audit.query(event="denied")
    assert denied.tool == "container_logs" and denied.actor == viewer.name


def test_a_follow_in_a_tool_answer_waits_at_most_the_answer_cap(gateway, admin, make_container):
    container = make_container("follow-tool", command=TICKER)
    outcome = gateway.call(
        admin, "container_logs", {"container": container.name, "follow": True, "seconds": 1}
    )

    assert outcome.status == "executed"
    assert len(numbers(outcome.result["text"].splitlines())) >= 3
