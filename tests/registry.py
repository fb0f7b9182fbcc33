"""A real registry on loopback (Debian's docker-registry) for tests, and pushing to it.

127.0.0.1 registries are trusted without TLS by the engine, so nothing outside the machine is
needed. Images pushed here carry the run's name; the registry and its storage are removed
after the module that uses it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RUN_ID, TEST_IMAGE
from tests.live_server import free_port


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
