"""How long an image update takes through the gateway, and how long an automatic rollback.

A container shaped like a small service (env, a port published on 127.0.0.1, a named volume,
a restart policy) is updated, through an approval, to a LABEL-only image built from the test
image (success: without a HEALTHCHECK the new container must stay running 3 s), then to an
image whose entrypoint exits at once, and to one whose health check fails (both rolled back to
the very same container). Each figure is the median over --runs runs of the approved call
(`gateway.decide`: rename, stop, create, start, health wait, remove or roll back), i.e. what a
user waits for. Everything made here carries the label `ddbench.run=<run id>` (images:
dockerdeployer-test/busybox:bench-<run id>-*) and is removed at the end, also on Ctrl-C.

    .venv/bin/python benchmarks/image_update.py [--runs 5]

(These timings were once a test assertion, update < 30 s, in tests/integration/test_updates.py;
timings live here, where a loaded machine makes a slow figure rather than a failed test.)
"""

from __future__ import annotations

import argparse
import io
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import docker.errors

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dockerdeployer.wiring import build_gateway  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from tools.engine import Engine  # noqa: E402
from tools.gateway import ToolGateway  # noqa: E402
from tools.guard.policy import Actor, Role  # noqa: E402

IMAGE = "dockerdeployer-test/busybox:1"
LABEL = "ddbench.run"
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
VARIANTS = {
    "ok": 'LABEL version="2"',
    "broken": 'ENTRYPOINT ["sh", "-c", "echo boom; exit 3"]',
    "unhealthy": 'HEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD ["false"]',
}


def build_variants(client: docker.DockerClient, run_id: str) -> dict[str, str]:
    refs = {}
    for name, line in VARIANTS.items():
        ref = f"dockerdeployer-test/busybox:bench-{run_id}-{name}"
        dockerfile = f"FROM {IMAGE}\n{line}\n".encode()
        client.images.build(
            fileobj=io.BytesIO(dockerfile), tag=ref, rm=True, pull=False, labels={LABEL: run_id}
        )
        refs[name] = ref
    return refs


def service(client: docker.DockerClient, run_id: str, i: int) -> tuple[Any, str]:
    volume = client.volumes.create(name=f"ddb-upd-{run_id}-{i}", labels={LABEL: run_id}).name
    container = client.containers.run(
        IMAGE,
        SLEEPER,
        name=f"ddb-upd-{run_id}-{i}",
        detach=True,
        labels={LABEL: run_id},
        environment={"MODE": "prod"},
        ports={"80/tcp": ("127.0.0.1", None)},
        volumes={volume: {"bind": "/data", "mode": "rw"}},
        restart_policy={"Name": "unless-stopped"},
    )
    return container, volume


def approved_update(
    gateway: ToolGateway, admin: Actor, name: str, image: str, health_timeout: int
) -> tuple[float, str, str]:
    """Seconds the approved call took, its status and message."""
    args = {"container": name, "image": image, "health_timeout": health_timeout}
    proposal = gateway.call(admin, "update_container_image", args)
    if proposal.status != "pending_approval" or not proposal.approval:
        raise RuntimeError(f"expected an approval, got {proposal.status}: {proposal.message}")
    started = time.perf_counter()
    done = gateway.decide(proposal.approval["id"], admin, approve=True)
    return time.perf_counter() - started, done.status, done.message or ""


def cleanup(client: docker.DockerClient, run_id: str) -> None:
    for item in client.api.containers(all=True, filters={"label": f"{LABEL}={run_id}"}):
        try:
            client.api.remove_container(item["Id"], force=True, v=True)
        except docker.errors.NotFound:
            pass
    volumes = client.api.volumes(filters={"label": f"{LABEL}={run_id}"}) or {}
    for volume in volumes.get("Volumes") or []:
        try:
            client.api.remove_volume(volume["Name"], force=True)
        except docker.errors.NotFound:
            pass
    for name in VARIANTS:
        try:
            client.api.remove_image(f"dockerdeployer-test/busybox:bench-{run_id}-{name}")
        except docker.errors.NotFound:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each kind")
    opts = parser.parse_args()

    client = docker.from_env(version="auto", timeout=120)
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        print(f"needs the test image {IMAGE}: bash scripts/test-images.sh", file=sys.stderr)
        return 2
    run_id = uuid.uuid4().hex[:10]

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    expected = {"ok": "executed", "broken": "failed", "unhealthy": "failed"}
    problems: list[str] = []
    try:
        refs = build_variants(client, run_id)
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(home=Path(home), _env_file=None)  # type: ignore[call-arg]
            gateway = build_gateway(settings, engine=Engine.from_client(client))
            admin = Actor("bench", Role.ADMIN)
            i = 0
            for _ in range(opts.runs):
                for kind, ref in refs.items():
                    i += 1
                    container, volume = service(client, run_id, i)
                    took, status, message = approved_update(
                        gateway, admin, container.name, ref, health_timeout=10
                    )
                    if status != expected[kind]:
                        problems.append(f"{kind}: {status}: {message}")
                    seconds[kind].append(took)
                    client.api.remove_container(container.name, force=True, v=True)
                    client.api.remove_volume(volume, force=True)
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        return 130
    finally:
        cleanup(client, run_id)

    print(f"image update through the gateway, {opts.runs} runs each (median, min-max):")
    labels = {
        "ok": "update, healthy (3 s stable-running wait)",
        "broken": "rollback, new image exits",
        "unhealthy": "rollback, health check fails",
    }
    for kind, values in seconds.items():
        print(
            f"  {labels[kind]:<42} {statistics.median(values):6.2f} s"
            f"   ({min(values):.2f}-{max(values):.2f})"
        )
    for problem in problems:
        print(f"UNEXPECTED {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
