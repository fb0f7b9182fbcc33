"""A real registry on loopback (Debian's docker-registry): pull-on-run and image updates.

127.0.0.1 registries are trusted without TLS by the engine, so nothing outside the machine is
needed. Images pushed here carry the run's name; the registry and its storage are removed
after the module.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RUN_ID, TEST_IMAGE, unique
from tests.integration.conftest import approved, free_port
from tools.progress import watching

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Iterator[str]:
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        pytest.fail("docker-registry is not installed (scripts/ensure-engine.sh installs it)")
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
        f"{root / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    process = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://{address}/v2/", timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the loopback registry did not start")
            time.sleep(0.2)
    try:
        yield address
    finally:
        process.terminate()
        process.wait(timeout=10)


def push(docker_client, registry: str, name: str) -> str:
    """Push the test image under this run's name, then drop the local tag."""
    ref = f"{registry}/ddtest-{RUN_ID}/{name}:1"
    docker_client.images.get(TEST_IMAGE).tag(ref)
    docker_client.images.push(ref)
    docker_client.images.remove(ref)
    return ref


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
