"""The approval net: the bench only ever approves calls on the task's own resources."""

from __future__ import annotations

from typing import Any

from dockerdeployer.bench.safety import out_of_scope
from tests.bench.conftest import make_task


def target(kind: str, ident: str, name: str) -> dict[str, str]:
    return {"kind": kind, "id": ident, "name": name}


def test_own_containers_may_be_approved(scope_for: Any) -> None:
    scope = scope_for(make_task('restarted = ["web"]'))
    approval = {"tool": "restart_container", "targets": [target("container", "id-web", "x")]}
    assert out_of_scope(approval, scope) is None
    by_name = {"tool": "stop_container",
               "targets": [target("container", "zzz", "bxqzkmt00a-later")]}  # fmt: skip
    assert out_of_scope(by_name, scope) is None


def test_foreign_containers_and_engine_wide_calls_are_refused(scope_for: Any) -> None:
    scope = scope_for(make_task('restarted = ["web"]'))
    foreign = {"tool": "stop_container", "targets": [target("container", "abc", "prod-db")]}
    assert "prod-db, which is not the task's" in (out_of_scope(foreign, scope) or "")
    prune = {"tool": "prune", "targets": [target("container", "id-web", "bxqzkmt00a-web"),
                                          target("network", "n1", "someone_default")]}  # fmt: skip
    assert "network someone_default" in (out_of_scope(prune, scope) or "")
    assert "never pulls" in (out_of_scope({"tool": "pull_image", "targets": []}, scope) or "")
    shared = {
        "tool": "remove_image",
        "targets": [target("image", "sha256:test", "dockerdeployer-test/busybox:1")],
    }
    assert "did not build" in (out_of_scope(shared, scope) or "")
    assert "no targets" in (out_of_scope({"tool": "restart_container"}, scope) or "")


def test_deployments_must_stay_in_the_task_namespace(scope_for: Any) -> None:
    scope = scope_for(make_task('restarted = ["web"]'))
    ok = {
        "tool": "run_container",
        "args": {"name": "bxqzkmt00a-site", "image": "dockerdeployer-test/busybox:1"},
    }
    assert out_of_scope(ok, scope) is None
    unnamed = {"tool": "run_container", "args": {"image": "dockerdeployer-test/busybox:1"}}
    assert "an unnamed container" in (out_of_scope(unnamed, scope) or "")
    other = {"tool": "run_container", "args": {"name": "bxqzkmt00a-x", "image": "nginx"}}
    assert "not one of the task's" in (out_of_scope(other, scope) or "")


def test_deployments_publish_only_the_host_ports_the_task_uses(scope_for: Any) -> None:
    created = '[{ name = "site", ports = { "80/tcp" = "{port}" } }]'
    scope = scope_for(make_task(f"created = {created}"))
    image = "dockerdeployer-test/busybox:1"
    args: dict[str, Any] = {"name": "bxqzkmt00a-site", "image": image, "ports": {"18080": "80"}}
    assert out_of_scope({"tool": "run_container", "args": args}, scope) is None
    extra = {**args, "ports": {"18080": "80", "80": "80"}}
    assert out_of_scope({"tool": "run_container", "args": extra}, scope) == (
        "run_container would publish host port(s) 80"
    )
