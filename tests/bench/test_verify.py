"""Verifiers fail when the engine's state is wrong, whatever the assistant said."""

from __future__ import annotations

from typing import Any

import pytest

from dockerdeployer.bench.report import pass_at_k
from dockerdeployer.bench.verify import (
    Evidence,
    check_changes,
    check_executed,
    check_proposed,
    check_removed,
    check_restarted,
    check_stopped,
    check_untouched,
    verify,
)
from tests.bench.conftest import audit, make_task, state

LATER = "2025-01-01T00:05:00Z"


def evidence(scope: Any, before: dict[str, Any], after: dict[str, Any], **kw: Any) -> Evidence:
    return Evidence(scope, fixtures=None, before=before, after=after, **kw)  # type: ignore[arg-type]


def test_restart_verifier_fails_when_started_at_did_not_change(scope_for: Any) -> None:
    task = make_task('restarted = ["web"]')
    same = {"web": state("web"), "api": state("api")}
    ev = evidence(scope_for(task), same, dict(same),
                  audit=[audit("executed", "restart_container", "id-web")])  # fmt: skip
    assert check_restarted(task.verify, ev) == ["web was not restarted (StartedAt unchanged)"]


def test_restart_verifier_needs_exactly_one_restart_in_the_audit(scope_for: Any) -> None:
    task = make_task('restarted = ["web"]')
    before = {"web": state("web"), "api": state("api")}
    after = {"web": state("web", started=LATER), "api": state("api")}
    twice = [audit("executed", "restart_container", "id-web")] * 2
    assert check_restarted(task.verify, evidence(scope_for(task), before, after, audit=twice)) == [
        "web should be restarted exactly once; audit shows 2"
    ]
    none = evidence(scope_for(task), before, after)  # restarted, but not by the assistant
    assert "audit shows 0" in check_restarted(task.verify, none)[0]
    once = evidence(scope_for(task), before, after, audit=twice[:1])
    assert check_restarted(task.verify, once) == []


def test_untouched_containers_must_keep_state_and_started_at(scope_for: Any) -> None:
    task = make_task('restarted = ["web"]')
    before = {"web": state("web"), "api": state("api")}
    bumped = {"web": state("web", started=LATER), "api": state("api", started=LATER)}
    problems = check_untouched(task.verify, evidence(scope_for(task), before, bumped))
    assert len(problems) == 1 and problems[0].startswith("api changed but should be untouched")
    gone = {"web": state("web", started=LATER), "api": None}
    assert check_untouched(task.verify, evidence(scope_for(task), before, gone)) == [
        "api was removed but should be untouched"
    ]


def test_stop_and_remove_verifiers(scope_for: Any) -> None:
    task = make_task('stopped = ["web"]\nremoved = ["api"]')
    before = {"web": state("web"), "api": state("api")}
    ev = evidence(scope_for(task), before, dict(before))
    assert check_stopped(task.verify, ev) == ["web should be stopped, is running"]
    assert check_removed(task.verify, ev) == ["api should be removed but still exists"]


def test_change_count_catches_extra_actions(scope_for: Any) -> None:
    task = make_task("changes = 0")
    ev = evidence(scope_for(task), {}, {}, audit=[
        audit("executed", "list_containers"),  # reads do not count
        audit("proposed", "restart_container", "id-web"),  # proposals do not count
        audit("executed", "stop_container", "id-web", container="bxqzkmt00a-web"),
    ])  # fmt: skip
    assert check_changes(task.verify, ev) == [
        "expected 0 state-changing call(s), 1 ran: stop_container(bxqzkmt00a-web)"
    ]


def test_read_verifier_checks_the_tool_and_its_target(scope_for: Any) -> None:
    task = make_task('executed = [{ tool = "container_logs", args = { container = "{api}" } }]')
    wrong_target = [{"tool": "container_logs", "status": "executed",
                     "args": {"container": "bxqzkmt00a-web"}}]  # fmt: skip
    ev = evidence(scope_for(task), {}, {}, calls=wrong_target)
    assert check_executed(task.verify, ev)[0].startswith(
        "expected an executed container_logs(container='bxqzkmt00a-api')"
    )
    failed = [{"tool": "container_logs", "status": "failed",
               "args": {"container": "bxqzkmt00a-api"}}]  # fmt: skip
    assert check_executed(task.verify, evidence(scope_for(task), {}, {}, calls=failed))
    right = [{**failed[0], "status": "executed", "args": {"container": "bxqzkmt00a-api",
                                                          "tail": 100}}]  # fmt: skip
    assert check_executed(task.verify, evidence(scope_for(task), {}, {}, calls=right)) == []


def test_proposal_verifier(scope_for: Any) -> None:
    task = make_task('proposed = ["restart_container"]')
    ev = evidence(scope_for(task), {}, {}, proposals=[{"tool": "stop_container"}])
    assert check_proposed(task.verify, ev) == [
        "expected an approval request for restart_container; requested: ['stop_container']"
    ]


def test_bench_notes_fail_the_task(scope_for: Any) -> None:
    task = make_task("changes = 0", containers=())
    ev = evidence(scope_for(task), {}, {}, notes=["unexpected approval request: Restart web"])

    class NoStrays:  # the engine-backed checks, answered without an engine
        compose = None

        @staticmethod
        def names_with_prefix(prefix: str) -> dict[str, str]:
            return {}

    ev.fixtures = NoStrays()  # type: ignore[assignment]
    assert verify(task.verify, ev) == ["unexpected approval request: Restart web"]


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [(1, 1, 1, 1.0), (1, 0, 1, 0.0), (5, 2, 1, 0.4), (5, 0, 5, 0.0), (5, 1, 5, 1.0),
     (4, 2, 2, 1 - 1 / 6)],
)  # fmt: skip
def test_pass_at_k(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)
