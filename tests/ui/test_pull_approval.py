"""Approving, in the console, a deploy of an image only the loopback registry has: the pull
runs as part of the approved plan and the container runs (checked on the engine)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import docker
import docker.errors
from streamlit.testing.v1 import AppTest

from tests.conftest import RUN_ID, TEST_LABEL, unique
from tests.registry import push
from tests.ui.helpers import alerts, assert_clean
from tests.ui.live import LiveApi
from tools.guard.policy import Actor, Role
from ui.approvals import pull_line


def test_an_approved_deploy_pulls_then_runs(
    registry: str,
    new_app: Callable[..., AppTest],
    live_api: LiveApi,
    docker_client: docker.DockerClient,
    cleanup_names: list[str],
) -> None:
    ref = push(docker_client, registry, "console")
    name = unique("console-pulled")
    cleanup_names.append(name)
    args = {"image": ref, "name": name, "command": ["sh", "-c", "sleep 600"],
            "labels": {TEST_LABEL: RUN_ID}}  # fmt: skip
    gateway = live_api.services.gateway
    approval_id = gateway.call(Actor("oscar", Role.OPERATOR), "run_container", args).approval["id"]
    try:
        at = new_app("admin", page="approvals")
        assert_clean(at)
        at.button(key=f"approve_{approval_id}").click().run()
        assert_clean(at)
        assert any(f"pulled {ref}" in s for s in alerts(at, "success")), alerts(at)
        assert docker_client.api.inspect_container(name)["State"]["Running"]
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(ref, force=True)


def test_a_pull_line_reads_as_a_person_would() -> None:
    line = pull_line({"kind": "pull", "image": "nginx:alpine", "status": "Downloading",
                      "current": 3 * 2**20, "total": 12 * 2**20})  # fmt: skip
    assert line == "Pulling nginx:alpine: Downloading 3.0 MiB of 12.0 MiB"
    assert (
        pull_line({"image": "x:1", "status": "Pulling fs layer"}) == "Pulling x:1: Pulling fs layer"
    )
