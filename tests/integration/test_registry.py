"""A real registry on loopback (Debian's docker-registry): pull-on-run and image updates.

127.0.0.1 registries are trusted without TLS by the engine, so nothing outside the machine is
needed. Images pushed here carry the run's name; the registry and its storage are removed
after the module.
"""

from __future__ import annotations

import io

import pytest

from tests.conftest import RUN_ID, TEST_IMAGE, unique
from tests.integration.conftest import approved
from tests.registry import push
from tools.progress import watching

pytestmark = pytest.mark.integration


def build_variant(docker_client, ref: str, variant: str) -> None:
    """A new image under `ref` (a label makes its ID differ from the test image's)."""
    dockerfile = f"FROM {TEST_IMAGE}\nLABEL org.dockerdeployer-test.variant={variant}\n"
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=ref, rm=True)


def test_deploy_pulls_a_missing_image_from_the_registry_then_runs(
    registry, gateway, docker_client, admin, cleanup_names
):
    ref = push(docker_client, registry, "web")
    name = unique("pulled")
    cleanup_names.append(name)
    args = {"image": ref, "name": name, "command": ["sh", "-c", "sleep 600"],
            "labels": {"ddtest.run": RUN_ID}}  # fmt: skip
    seen: list[dict] = []
    with watching(seen.append):  # what an SSE stream or the console shows while it pulls
        outcome = approved(gateway, admin, "run_container", args)
    try:
        assert outcome.status == "executed", outcome.message
        assert outcome.message.startswith(f"pulled {ref}")
        pulls = [e for e in seen if e["kind"] == "pull" and e["image"] == ref]
        # (its layers are the test image's, already here: no byte counts to report)
        assert pulls[0]["status"].startswith("Pulling from"), pulls
        assert "Downloaded newer image" in pulls[-1]["status"]
        info = docker_client.api.inspect_container(name)
        assert info["State"]["Running"] and info["Config"]["Image"] == ref
    finally:
        docker_client.api.remove_container(name, force=True)
        docker_client.images.remove(ref, force=True)


def test_check_image_update_sees_a_newer_image_in_the_registry(
    registry, gateway, docker_client, admin
):
    ref = push(docker_client, registry, "api")
    docker_client.images.pull(ref)
    running = docker_client.containers.create(ref, command=["sh", "-c", "sleep 600"],
                                              labels={"ddtest.run": RUN_ID},
                                              name=unique("regapi"))  # fmt: skip
    try:
        current = gateway.call(admin, "check_image_update", {"container": running.name})
        assert current.status == "executed", current.message
        assert current.result["registry_digest"] and current.result["newer_in_registry"] is False
        # A new build pushed under the same tag: the registry now has something newer.
        build_variant(docker_client, ref, "v2")
        docker_client.images.push(ref)
        later = gateway.call(admin, "check_image_update", {"container": running.name})
        assert later.result["newer_in_registry"] is True
    finally:
        docker_client.api.remove_container(running.id, force=True)
        docker_client.images.remove(ref, force=True)
