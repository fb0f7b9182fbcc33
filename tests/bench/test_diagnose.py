"""Diagnosis tasks: the spec fields their scenarios need, the reply check, and the crash-loop
exemption from 'untouched'. No engine here (tests/bench/test_run.py sets scenarios up for real)."""

from __future__ import annotations

from typing import Any

import pytest

from dockerdeployer.bench.fixtures import _healthcheck
from dockerdeployer.bench.loader import TaskFileError, load_tasks, parse_task
from dockerdeployer.bench.safety import out_of_scope
from dockerdeployer.bench.spec import HealthcheckSpec
from dockerdeployer.bench.verify import (
    Evidence,
    check_failed,
    check_reply,
    check_untouched,
)
from tests.bench.conftest import audit, make_task, state

OOM = """
id = "oom"
category = "diagnose"
description = "d"

[[setup.containers]]
name = "worker"
kind = "exiter"
memory = "16m"
command = ["sh", "-c", "exec tail /dev/zero"]

[[setup.containers]]
name = "loop"
kind = "exiter"
restart_policy = "always"
restarts = 3

[[setup.containers]]
name = "api"
healthcheck = { command = "nc -w 1 127.0.0.1 8080 </dev/null", interval = 0.5, retries = 1 }

[[setup.containers]]
name = "app"
state = "start-failed"
command = ["appserver"]

[[turns]]
say = "why did {worker} die?"

[verify]
reply_mentions = ["ran out of memory", "OOM on {worker}"]
changes = 0
"""


def evidence(scope: Any, before: Any = None, after: Any = None, **kw: Any) -> Evidence:
    return Evidence(scope, None, before or {}, after or {}, **kw)  # type: ignore[arg-type]


# --- the spec ---------------------------------------------------------------------------------


def test_a_diagnosis_scenario_parses_with_its_new_fields() -> None:
    task = parse_task(OOM, "oom.toml")
    worker, loop, api, app = task.setup.containers
    assert worker.memory == "16m" and loop.restarts == 3 and loop.restart_policy == "always"
    assert api.healthcheck == HealthcheckSpec(
        command="nc -w 1 127.0.0.1 8080 </dev/null", interval=0.5, retries=1
    )
    assert app.state == "start-failed"
    assert task.verify.reply_mentions == ["ran out of memory", "OOM on {worker}"]
    assert task.verify.expected_changes == 0


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('memory = "16m"', 'memory = "16 MB"', "setup.containers[0].memory"),
        ('memory = "16m"', 'memory = "lots"', "String should match pattern"),
        ('restart_policy = "always"\n', "", "restarts needs a restart_policy other than no"),
        ("restarts = 3", "restarts = 11", "less than or equal to 10"),
        ('name = "api"\n', 'name = "api"\nstate = "exited"\n', "a healthcheck needs state running"),
        ("interval = 0.5", "interval = 0", "greater than or equal to 0.1"),
        ("retries = 1", "retry = 1", "Extra inputs are not permitted"),
        ('state = "start-failed"', 'state = "crashed"', "setup.containers[3].state"),
        ('"OOM on {worker}"', '"OOM on {wrker}"', "reply_mentions[1]: unknown placeholder {wrker}"),
        ('"OOM on {worker}"', '" "', "verify.reply_mentions[1]: empty"),
        ("changes = 0", 'changes = 0\nfailed = [{ tol = "run_container" }]', "verify.failed"),
        ("[[turns]]", '[setup]\nheld_ports = ["8080"]\n\n[[turns]]', "not one of the task's free"),
    ],
)  # fmt: skip
def test_malformed_diagnosis_fields_are_refused(old: str, new: str, expected: str) -> None:
    assert old in OOM
    with pytest.raises(TaskFileError) as caught:
        parse_task(OOM.replace(old, new, 1), "oom.toml")
    assert expected in str(caught.value)


def test_compose_images_must_name_services_and_cannot_start_up() -> None:
    base = 'id = "mi"\ncategory = "diagnose"\ndescription = "d"\nrequires = ["compose"]\n'
    project = '[[setup.projects]]\nname = "shop"\nservices = ["web"]\n'
    tail = '[[turns]]\nsay = "bring up {shop}"\n[verify]\nchanges = 0\n'
    ok = parse_task(base + project + 'images = { web = "gone/web:1" }\n' + tail, "m.toml")
    assert ok.setup.projects[0].images == {"web": "gone/web:1"}
    with pytest.raises(TaskFileError, match=r"\['db'\] are not services of shop"):
        parse_task(base + project + 'images = { db = "gone/db:1" }\n' + tail, "m.toml")
    with pytest.raises(TaskFileError, match="cannot start up"):
        parse_task(base + project + 'up = true\nimages = { web = "g/w:1" }\n' + tail, "m.toml")


def test_health_check_is_sent_in_nanoseconds_through_the_shell() -> None:
    sent = _healthcheck(HealthcheckSpec(command="exit 1", interval=0.5, timeout=2, retries=3))
    assert sent == {"test": ["CMD-SHELL", "exit 1"], "interval": 500_000_000,
                    "timeout": 2_000_000_000, "retries": 3, "start_period": 0}  # fmt: skip


def test_every_builtin_diagnosis_task_checks_its_reply_and_changes_nothing() -> None:
    tasks = load_tasks(pattern="diagnose")
    assert {t.id for t in tasks} >= {"oom-killed", "crash-loop", "unhealthy", "exit-127",
                                     "command-not-found", "port-in-use", "deploy-port-taken",
                                     "deploy-port-held", "missing-image"}  # fmt: skip
    for task in tasks:
        assert task.verify.reply_mentions, task.id
        assert task.verify.changes == 0 and task.verify.expected_changes == 0, task.id
        assert not task.verify.touched, task.id


# --- the reply --------------------------------------------------------------------------------


def test_the_reply_must_name_one_of_the_causes_case_insensitively(scope_for: Any) -> None:
    task = parse_task(OOM, "oom.toml")
    scope = scope_for(task)
    named = "bxqzkmt00a-worker (exited): likely cause: it RAN OUT OF MEMORY and was killed"
    assert check_reply(task.verify, evidence(scope, replies=[named])) == []
    other = "Saw an OOM on bxqzkmt00a-worker"  # the second phrase, its placeholder filled in
    assert check_reply(task.verify, evidence(scope, replies=[other])) == []
    vague = "bxqzkmt00a-worker exited with code 137: killed (out of memory, or docker kill)"
    assert check_reply(task.verify, evidence(scope, replies=[vague])) == [
        "the final reply mentions none of ['ran out of memory', 'OOM on bxqzkmt00a-worker']: "
        f"{vague!r}"
    ]
    assert "(empty)" in check_reply(task.verify, evidence(scope))[0]


def test_only_the_final_reply_counts(scope_for: Any) -> None:
    task = parse_task(OOM, "oom.toml")
    earlier = ["it ran out of memory", "Not done: the user rejected the restart"]
    problems = check_reply(task.verify, evidence(scope_for(task), replies=earlier))
    assert len(problems) == 1 and "Not done: the user rejected the restart" in problems[0]


def test_a_long_reply_is_shortened_in_the_failure(scope_for: Any) -> None:
    task = parse_task(OOM, "oom.toml")
    problems = check_reply(task.verify, evidence(scope_for(task), replies=["x " * 400]))
    assert len(problems[0]) < 500 and problems[0].endswith("...'")


def test_no_reply_check_without_phrases(scope_for: Any) -> None:
    task = make_task("changes = 0")
    assert check_reply(task.verify, evidence(scope_for(task), replies=["anything"])) == []


# --- state ------------------------------------------------------------------------------------


def test_a_crash_looping_container_may_restart_by_itself_but_not_be_acted_on(
    scope_for: Any,
) -> None:
    task = parse_task(OOM, "oom.toml")
    scope = scope_for(task)
    before = {n: state(n) for n in ("worker", "loop", "api", "app")}
    after = {**before, "loop": state("loop", "restarting", started="2025-01-01T00:00:09Z")}

    def untouched(after: dict[str, Any], *entries: Any) -> list[str]:
        return check_untouched(task.verify, evidence(scope, before=before, after=after,
                                                     audit=list(entries)))  # fmt: skip

    assert untouched(after) == []
    assert untouched(after, audit("executed", "diagnose_container", "id-loop")) == []
    assert untouched(after, audit("executed", "restart_container", "id-loop")) == [
        "loop should be untouched (it restarts by itself), but 1 change(s) ran on it"
    ]
    assert untouched({**after, "loop": None}) == ["loop was removed but should be untouched"]
    # every other container still has to keep its StartedAt
    bumped = {**after, "api": state("api", started="2025-01-01T00:00:09Z")}
    assert untouched(bumped)[0].startswith("api changed but should be untouched")


def test_a_call_expected_to_fail_must_have_failed(scope_for: Any) -> None:
    task = make_task('failed = [{ tool = "run_container", args = { name = "{app}" } }]\n'
                     'not_created = ["app"]')  # fmt: skip
    scope = scope_for(task)
    tried = {"tool": "run_container", "args": {"name": "bxqzkmt00a-app", "image": "x"}}
    assert check_failed(task.verify, evidence(scope, calls=[{**tried, "status": "failed"}])) == []
    ran = evidence(scope, calls=[{**tried, "status": "executed"}])
    assert check_failed(task.verify, ran) == [
        "expected a failed run_container(name='bxqzkmt00a-app'); ran: run_container:executed"
    ]
    other = evidence(
        scope, calls=[{**tried, "args": {"name": "bxqzkmt00a-web"}, "status": "failed"}]
    )
    assert check_failed(task.verify, other)
    assert task.verify.approvable_tools == {"run_container"}


def test_a_held_host_port_is_the_tasks_own_to_publish(scope_for: Any) -> None:
    task = make_task(
        'failed = [{ tool = "run_container" }]', extra='[setup]\nheld_ports = ["{port}"]\n'
    )
    scope = scope_for(task)
    args = {
        "name": "bxqzkmt00a-app",
        "image": "dockerdeployer-test/busybox:1",
        "ports": {"18080": "80"},
    }
    assert out_of_scope({"tool": "run_container", "args": args}, scope) is None
    other = {**args, "ports": {"18081": "80"}}
    assert out_of_scope({"tool": "run_container", "args": other}, scope) == (
        "run_container would publish host port(s) 18081"
    )
