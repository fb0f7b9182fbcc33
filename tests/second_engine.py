"""A second, throwaway Docker engine for Swarm and multi-host tests.

It runs in its own network namespace (two engines in one namespace fight over the `docker0`
bridge), entered with `nsenter --net=...`: `ip netns exec` remounts /sys and the engine then finds
no cgroups. Its data, exec root, pid file and config live in a temporary directory; its socket is
`/run/ddt<id>.sock`. Nothing of the main engine is touched: it is never put into swarm mode, and
the test image is copied across with `docker save | docker load` (there is no registry).

Used as a pytest plugin (`pytest_plugins = ["tests.second_engine"]`; a test module imports it
only under TYPE_CHECKING, so pytest can rewrite its asserts): the session fixture `second_engine`
is one engine in swarm mode shared by all tests; `spare_engine` is one more, for a single test
that may stop it at will.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
import requests

from tests.conftest import RUN_ID, TEST_IMAGE, TEST_LABEL

SECOND_TAG = "dockerdeployer-test/busybox:2"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def missing_prerequisites() -> str | None:
    """Why a second engine cannot run here, or None."""
    if os.geteuid() != 0:
        return "a second Docker engine needs root (network namespaces, dockerd)"
    absent = [tool for tool in ("ip", "nsenter", "dockerd") if shutil.which(tool) is None]
    if absent:
        return f"a second Docker engine needs {', '.join(absent)} (iproute2, util-linux, docker.io)"
    return None


class SecondEngine:
    """One dockerd in network namespace `ddt<id>`, answering on `/run/ddt<id>.sock`."""

    second_tag = SECOND_TAG  # for tests, which reach this module only through its fixtures

    def __init__(self, name: str) -> None:
        self.name = name
        self.netns = name
        self.socket = f"/run/{name}.sock"
        self.url = f"unix://{self.socket}"
        self.root = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.log_path = self.root / "dockerd.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: io.BufferedWriter | None = None
        self._client: docker.DockerClient | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        if not Path(f"/var/run/netns/{self.netns}").exists():
            _run("ip", "netns", "add", self.netns)
            _run("ip", "-n", self.netns, "link", "set", "lo", "up")
        config = self.root / "daemon.json"
        config.write_text("{}")  # never the machine's /etc/docker/daemon.json
        self._log = open(self.log_path, "ab")  # closed in stop()
        self._proc = subprocess.Popen(
            [
                "nsenter",
                f"--net=/var/run/netns/{self.netns}",
                "dockerd",
                "--host",
                self.url,
                "--config-file",
                str(config),
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.root / "exec"),
                "--pidfile",
                str(self.root / "dockerd.pid"),
                # Apart from any system containerd the main engine may share.
                "--containerd-namespace",
                self.name,
                "--containerd-plugins-namespace",
                f"{self.name}-plugins",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the test run does not hit it first
        )
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"second dockerd exited at start:\n{self.log_tail()}")
            try:
                client = docker.DockerClient(base_url=self.url, version="auto", timeout=60)
                client.ping()
            except (docker.errors.DockerException, requests.RequestException):
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"second dockerd did not answer in {START_TIMEOUT:.0f} s:\n"
                        + self.log_tail()
                    ) from None
                time.sleep(0.2)
                continue
            self._client = client
            return

    def stop(self) -> None:
        """Stop the engine (like a host going down); the namespace and data stay."""
        if self._client is not None:
            self._client.close()
            self._client = None
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def destroy(self) -> None:
        """Stop it, kill whatever still runs in its namespace, delete the namespace and dirs."""
        self.stop()
        self._kill_namespace_processes()
        if Path(f"/var/run/netns/{self.netns}").exists():
            subprocess.run(["ip", "netns", "delete", self.netns], check=False)
        self._unmount_under_root()
        shutil.rmtree(self.root, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket)

    def _kill_namespace_processes(self) -> None:
        """Only processes inside this engine's own namespace (shims, containers it left)."""
        try:
            ns = os.stat(f"/var/run/netns/{self.netns}")
        except FileNotFoundError:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = []
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    st = os.stat(f"/proc/{entry}/ns/net")
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) == (ns.st_dev, ns.st_ino):
                    pids.append(int(entry))
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            if not pids:
                return
            time.sleep(0.5)

    def _unmount_under_root(self) -> None:
        """rmtree must never walk into a mount (overlay, nsfs) the engine left behind."""
        prefix = str(self.root) + "/"
        with open("/proc/self/mounts") as mounts:
            points = [line.split()[1] for line in mounts]
        for point in sorted((p for p in points if p.startswith(prefix)), reverse=True):
            subprocess.run(["umount", "-l", point], check=False, capture_output=True)

    # --- helpers ----------------------------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise RuntimeError(f"the second engine {self.name} is not running")
        return self._client

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def load_image(self, main: docker.DockerClient, image: str = TEST_IMAGE) -> None:
        """`docker save IMAGE | docker -H second load`: no registry here."""
        tarball = b"".join(main.api.get_image(image))
        self.client.api.load_image(tarball)

    def build_second_tag(self, tag: str = SECOND_TAG) -> str:
        """A second image (different ID) built FROM the test image, for update/rollback."""
        dockerfile = f"FROM {TEST_IMAGE}\nLABEL org.dockerdeployer-test.variant=2\n".encode()
        image, _ = self.client.images.build(
            fileobj=io.BytesIO(dockerfile), tag=tag, rm=True, labels={TEST_LABEL: RUN_ID}
        )
        return str(image.id)

    def swarm_init(self) -> None:
        self.client.swarm.init(advertise_addr="127.0.0.1")
        deadline = time.monotonic() + 30
        while self.client.info().get("Swarm", {}).get("ControlAvailable") is not True:
            if time.monotonic() > deadline:
                raise RuntimeError(f"swarm did not become active:\n{self.log_tail()}")
            time.sleep(0.2)


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()}")


def short_name() -> str:
    """`ddt` + run id + a suffix: unique per engine, short enough for a netns and a socket."""
    return f"ddt{RUN_ID[:6]}{uuid.uuid4().hex[:4]}"


@contextlib.contextmanager
def start_second_engine(
    main: docker.DockerClient, *, swarm: bool = False, second_tag: bool = False
) -> Iterator[SecondEngine]:
    """A running second engine with the test image; destroyed afterwards, whatever happened."""
    reason = missing_prerequisites()
    if reason:
        pytest.skip(reason)
    engine = SecondEngine(short_name())
    try:
        engine.start()
        engine.load_image(main)
        if second_tag:
            engine.build_second_tag()
        if swarm:
            engine.swarm_init()
        yield engine
    finally:
        engine.destroy()


@pytest.fixture(scope="session")
def second_engine(docker_client: docker.DockerClient, test_image: str) -> Iterator[SecondEngine]:
    """One second engine for the session, in swarm mode, with the test image and a :2 tag."""
    with start_second_engine(docker_client, swarm=True, second_tag=True) as engine:
        yield engine


@pytest.fixture
def spare_engine(docker_client: docker.DockerClient, test_image: str) -> Iterator[SecondEngine]:
    """A second engine of a test's own (no swarm), which it may stop like a host going down."""
    with start_second_engine(docker_client) as engine:
        yield engine
