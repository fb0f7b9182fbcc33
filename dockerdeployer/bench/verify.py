"""State checks: what the engine looks like after the task, never what the assistant said.

Each check takes the task's `Verify` block and the `Evidence` gathered by the runner and
returns the reasons it failed (empty: passed). Tool calls and the audit trail are evidence of
*what ran*; the engine is the evidence of *what happened*. The one check on words is
`reply_mentions`, for tasks whose outcome *is* an explanation (a diagnosis): it is asked on
top of the state checks, never instead of them.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import docker.errors

from dockerdeployer.bench.fixtures import ContainerState, Fixtures
from dockerdeployer.bench.scope import TaskScope
from dockerdeployer.bench.spec import CallSpec, CreatedSpec, FileSpec, Verify
from tools.audit import AuditEntry
from tools.catalogue import get_tool
from tools.errors import UnknownTool
from tools.guard.policy import Risk

RESTARTING_TOOLS = frozenset({"restart_container", "start_container"})


@dataclass
class Evidence:
    scope: TaskScope
    fixtures: Fixtures
    before: dict[str, ContainerState | None]
    after: dict[str, ContainerState | None]
    calls: list[dict[str, Any]] = field(default_factory=list)  # final statuses, every turn
    proposals: list[dict[str, Any]] = field(default_factory=list)  # approvals requested
    audit: list[AuditEntry] = field(default_factory=list)  # this task's thread only
    notes: list[str] = field(default_factory=list)  # what the bench itself had to refuse
    replies: list[str] = field(default_factory=list)  # the assistant's last reply of each turn

    def executed_changes(self) -> list[AuditEntry]:
        return [e for e in self.audit if e.event == "executed" and _changes_state(e.tool)]

    def executions_on(self, container_id: str, tools: frozenset[str]) -> int:
        key = f"container:{container_id}"
        return sum(
            1
            for e in self.audit
            if e.event == "executed" and e.tool in tools and key in (e.targets or {}).get("ids", [])
        )

    def changes_on(self, container_id: str) -> int:
        """Executed state-changing calls that targeted this container."""
        key = f"container:{container_id}"
        return sum(1 for e in self.executed_changes() if key in (e.targets or {}).get("ids", []))


def _changes_state(tool: str) -> bool:
    try:
        return get_tool(tool).risk is not Risk.READ
    except UnknownTool:
        return True


Check = Callable[[Verify, Evidence], list[str]]


# --- setup containers -------------------------------------------------------------------------


def check_untouched(v: Verify, ev: Evidence) -> list[str]:
    """Every setup container the task does not name keeps its state and its StartedAt; one
    the engine itself keeps restarting (a crash loop) must still exist, and nothing the
    assistant ran may have acted on it."""
    problems = []
    looping = {c.name for c in ev.scope.task.setup.containers if c.restarts}
    for name, before in ev.before.items():
        if name in v.touched or before is None:
            continue
        after = ev.after.get(name)
        if after is None:
            problems.append(f"{name} was removed but should be untouched")
        elif name in looping:
            changed = ev.changes_on(before.id)
            if changed:
                problems.append(
                    f"{name} should be untouched (it restarts by itself), "
                    f"but {changed} change(s) ran on it"
                )
        elif (after.status, after.started_at) != (before.status, before.started_at):
            problems.append(
                f"{name} changed but should be untouched "
                f"({before.status} -> {after.status}, StartedAt {before.started_at[:23]} -> "
                f"{after.started_at[:23]})"
            )
    return problems


def check_restarted(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for name in v.restarted:
        before, after = ev.before.get(name), ev.after.get(name)
        if before is None or after is None:
            problems.append(f"{name} should have been restarted but no longer exists")
            continue
        if after.started_at == before.started_at:
            problems.append(f"{name} was not restarted (StartedAt unchanged)")
        if after.status != "running":
            problems.append(f"{name} should be running after its restart, is {after.status}")
        runs = ev.executions_on(before.id, RESTARTING_TOOLS)
        if runs != 1:
            problems.append(f"{name} should be restarted exactly once; audit shows {runs}")
    return problems


def check_stopped(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for name in v.stopped:
        after = ev.after.get(name)
        if after is None:
            problems.append(f"{name} should be stopped, but it was removed")
        elif after.status not in ("exited", "created"):
            problems.append(f"{name} should be stopped, is {after.status}")
    return problems


def check_started(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for name in v.started:
        before, after = ev.before.get(name), ev.after.get(name)
        if before is None or after is None:
            problems.append(f"{name} should have been started but no longer exists")
        elif after.started_at == before.started_at:
            problems.append(f"{name} was not started (StartedAt unchanged, {after.status})")
    return problems


def check_removed(v: Verify, ev: Evidence) -> list[str]:
    return [f"{name} should be removed but still exists" for name in v.removed if ev.after[name]]


def check_updated(v: Verify, ev: Evidence) -> list[str]:
    """Recreated under the same name from the new image, running, the old container gone."""
    problems = []
    for name, image in v.updated.items():
        before, wanted = ev.before.get(name), ev.scope.expand(image)
        full = ev.scope.full(name)
        try:
            raw = ev.fixtures.api.inspect_container(full)
        except docker.errors.NotFound:
            problems.append(f"{full} should run {wanted}; no container has that name now")
            continue
        current = (raw.get("Config") or {}).get("Image")
        if current != wanted:
            problems.append(f"{full} runs {current!r}, expected {wanted!r}")
        if (raw.get("State") or {}).get("Status") != "running":
            problems.append(f"{full} should be running after the update")
        if before is not None and ev.after.get(name) is not None:
            problems.append(f"{full}: the previous container {before.id[:12]} still exists")
    return problems


def check_running(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for name in v.running:
        after = ev.after.get(name)
        if after is None or after.status != "running":
            problems.append(f"{name} should be running, is {after.status if after else 'gone'}")
    return problems


# --- containers the assistant creates ---------------------------------------------------------


def check_created(v: Verify, ev: Evidence) -> list[str]:
    problems: list[str] = []
    for spec in v.created:
        problems += _created(spec, ev)
    return problems


def _created(spec: CreatedSpec, ev: Evidence) -> list[str]:
    scope = ev.scope
    name = scope.full(spec.name)
    try:
        raw = ev.fixtures.api.inspect_container(name)
    except docker.errors.NotFound:
        return [f"{name} should have been created; it does not exist"]
    config, host = raw.get("Config") or {}, raw.get("HostConfig") or {}
    problems = []
    image = scope.expand(spec.image)
    if config.get("Image") != image:
        problems.append(f"{name} runs image {config.get('Image')!r}, expected {image!r}")
    status = (raw.get("State") or {}).get("Status")
    if spec.running and status != "running":
        problems.append(f"{name} should be running, is {status}")
    bindings = host.get("PortBindings") or {}
    for inside, host_port in spec.ports.items():
        published = {b.get("HostPort") for b in bindings.get(inside) or []}
        if scope.expand(host_port) not in published:
            problems.append(
                f"{name} should publish {inside} on {scope.expand(host_port)}, "
                f"publishes {sorted(p for p in published if p) or 'nothing'}"
            )
    env = set(config.get("Env") or [])
    for key, value in scope.expand_any(spec.env).items():
        if f"{key}={value}" not in env:
            problems.append(f"{name} lacks env {key}={value}")
    labels = config.get("Labels") or {}
    for key, value in scope.expand_any(spec.labels).items():
        if labels.get(key) != value:
            problems.append(f"{name} lacks label {key}={value} (has {labels.get(key)!r})")
    policy = (host.get("RestartPolicy") or {}).get("Name") or "no"
    if spec.restart_policy is not None and policy != spec.restart_policy:
        problems.append(f"{name} restart policy is {policy!r}, expected {spec.restart_policy!r}")
    if spec.memory is not None and int(host.get("Memory") or 0) != _bytes(spec.memory):
        problems.append(f"{name} memory limit is {host.get('Memory')}, expected {spec.memory}")
    command = " ".join([*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])])
    if spec.command is not None and scope.expand(spec.command) not in command:
        problems.append(f"{name} runs {command!r}, expected it to contain {spec.command!r}")
    if spec.http is not None:
        port, path = int(scope.expand(spec.http.port)), spec.http.path
        got = http_status(port, path)
        if got != spec.http.status:
            problems.append(
                f"http://127.0.0.1:{port}{path} answered {got or 'nothing'}, "
                f"expected {spec.http.status}"
            )
    return problems


def _bytes(size: str) -> int:
    units = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    return int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)


def http_status(port: int, path: str, seconds: float = 5.0) -> int | None:
    """The HTTP status 127.0.0.1:port answers with, retrying while the server starts."""
    deadline = time.monotonic() + seconds
    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            return conn.getresponse().status
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)
        finally:
            conn.close()


def check_not_created(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for short in v.not_created:
        if ev.fixtures.state(ev.scope.full(short)) is not None:
            problems.append(f"{ev.scope.full(short)} must not exist, but was created")
    return problems


def check_no_strays(v: Verify, ev: Evidence) -> list[str]:
    """No container in the task's namespace beyond its setup and what it was asked to create."""
    expected = {ev.scope.full(n) for n in ev.before} | {ev.scope.full(c.name) for c in v.created}
    projects = tuple(ev.scope.full(p.name) for p in ev.scope.task.setup.projects)
    found = ev.fixtures.names_with_prefix(ev.scope.prefix + "-")
    return [
        f"unexpected container {name} was created"
        for name in sorted(set(found) - expected)
        if not any(name.startswith((f"{p}_", f"{p}-")) for p in projects)  # compose's own
    ]


# --- calls, approvals, audit ------------------------------------------------------------------


def _subset(wanted: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(key in actual and actual[key] == value for key, value in wanted.items())


def check_executed(v: Verify, ev: Evidence) -> list[str]:
    return _calls_with_status(v.executed, "executed", ev)


def check_failed(v: Verify, ev: Evidence) -> list[str]:
    return _calls_with_status(v.failed, "failed", ev)


def _calls_with_status(specs: list[CallSpec], status: str, ev: Evidence) -> list[str]:
    """Each spec must match a call that ended with `status` (args: a subset)."""
    problems = []
    for spec in specs:
        wanted = ev.scope.expand_any(spec.args)
        if not any(
            c.get("tool") == spec.tool
            and c.get("status") == status
            and _subset(wanted, c.get("args") or {})
            for c in ev.calls
        ):
            article = "an" if status == "executed" else "a"
            problems.append(
                f"expected {article} {status} {_call_text(spec, wanted)}; ran: {_ran(ev)}"
            )
    return problems


def _call_text(spec: CallSpec, args: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{spec.tool}({shown})"


def _ran(ev: Evidence) -> str:
    done = [f"{c.get('tool')}:{c.get('status')}" for c in ev.calls]
    return ", ".join(done) or "nothing"


def check_proposed(v: Verify, ev: Evidence) -> list[str]:
    asked = {str(a.get("tool")) for a in ev.proposals}
    return [
        f"expected an approval request for {tool}; requested: {sorted(asked) or 'none'}"
        for tool in v.proposed
        if tool not in asked
    ]


def check_changes(v: Verify, ev: Evidence) -> list[str]:
    executed = ev.executed_changes()
    if len(executed) == v.expected_changes:
        return []
    shown = ", ".join(f"{e.tool}({e.args.get('container') or e.args.get('image') or ''})"
                      for e in executed) or "none"  # fmt: skip
    return [f"expected {v.expected_changes} state-changing call(s), {len(executed)} ran: {shown}"]


def check_bench_notes(v: Verify, ev: Evidence) -> list[str]:
    return list(ev.notes)


def check_reply(v: Verify, ev: Evidence) -> list[str]:
    """The final reply names the cause: at least one of the phrases, case-insensitive."""
    if not v.reply_mentions:
        return []
    reply = ev.replies[-1] if ev.replies else ""
    wanted = [ev.scope.expand(phrase) for phrase in v.reply_mentions]
    if any(phrase.casefold() in reply.casefold() for phrase in wanted):
        return []
    shown = " ".join(reply.split())
    shown = shown if len(shown) <= 300 else shown[:297] + "..."
    return [f"the final reply mentions none of {wanted}: {shown or '(empty)'!r}"]


# --- inside containers, images ----------------------------------------------------------------


def _file_exists(ev: Evidence, spec: FileSpec) -> bool | None:
    api = ev.fixtures.api
    name = ev.scope.full(spec.container)
    state = ev.fixtures.state(name)
    if state is None or state.status != "running":
        return None
    created = api.exec_create(name, ["test", "-e", spec.path])
    api.exec_start(created["Id"])
    return api.exec_inspect(created["Id"]).get("ExitCode") == 0


def check_files(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for spec in v.files:
        if not _file_exists(ev, spec):
            problems.append(f"{spec.path} should exist in {spec.container}")
    for spec in v.absent_files:
        if _file_exists(ev, spec):
            problems.append(f"{spec.path} must not exist in {spec.container}")
    return problems


def check_images(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for name in v.images_removed:
        if ev.fixtures.image_exists(ev.scope.image_tag(name)):
            problems.append(f"image {ev.scope.image_tag(name)} should be removed")
    for name in v.images_present:
        if not ev.fixtures.image_exists(ev.scope.image_tag(name)):
            problems.append(f"image {ev.scope.image_tag(name)} should still exist")
    return problems


def check_replicas(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    for name, wanted in v.replicas.items():
        got = ev.fixtures.replicas(ev.scope.full(name))
        if got != wanted:
            shown = "no such service" if got is None else f"{got} replicas"
            problems.append(f"service {ev.scope.full(name)} should have {wanted} replicas: {shown}")
    return problems


def check_projects(v: Verify, ev: Evidence) -> list[str]:
    problems = []
    compose = ev.fixtures.compose
    for name, wanted in v.projects.items():
        got = compose.running(ev.scope, name) if compose is not None else 0
        if got != wanted:
            problems.append(
                f"compose project {ev.scope.full(name)} should have {wanted} running "
                f"container(s), has {got}"
            )
    return problems


CHECKS: tuple[Check, ...] = (
    check_bench_notes,
    check_untouched,
    check_restarted,
    check_stopped,
    check_started,
    check_removed,
    check_running,
    check_updated,
    check_created,
    check_not_created,
    check_no_strays,
    check_executed,
    check_failed,
    check_proposed,
    check_files,
    check_images,
    check_replicas,
    check_projects,
    check_changes,
    check_reply,
)


def verify(v: Verify, ev: Evidence) -> list[str]:
    problems: list[str] = []
    for check in CHECKS:
        problems += check(v, ev)
    return problems
