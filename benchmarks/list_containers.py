"""How much listing costs: the engine's own /containers/json vs ours vs the docker SDK default.

Creates N labelled containers (created, not started: listing does not care and it is much
faster), times each way of listing them over several runs, prints medians and ratios, and removes
its containers at the end, also on Ctrl-C or SIGTERM.

    python benchmarks/list_containers.py --count 500 --runs 15
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import docker.errors
import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.main import create_app  # noqa: E402
from dockerdeployer.wiring import build_gateway, build_services  # noqa: E402
from foundation.settings import Settings  # noqa: E402
from tools.engine import Engine  # noqa: E402
from tools.guard.policy import Actor, Role  # noqa: E402
from tools.manager import DockerManager  # noqa: E402

IMAGE = "dockerdeployer-test/busybox:1"
LABEL = "ddbench.run"


@contextlib.contextmanager
def live_api(settings: Settings, engine: Engine) -> Iterator[httpx.Client]:
    """The real API on loopback (uvicorn, one worker), signed in as a viewer."""
    services = build_services(settings, gateway=build_gateway(settings, engine=engine))
    services.accounts.add_user("bench", "bench-password-1234", "viewer")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False, lifespan="off")  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{base}/api/auth/login",
                       json={"username": "bench", "password": "bench-password-1234"}).json()
    try:
        with httpx.Client(base_url=base, timeout=120,
                          headers={"Authorization": f"Bearer {token['access_token']}"}) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def create_containers(client: docker.DockerClient, run_id: str, count: int, workers: int) -> None:
    def create(i: int) -> None:
        client.api.create_container(
            IMAGE, command=["true"], name=f"ddb-{run_id}-{i:04d}", labels={LABEL: run_id}
        )

    pool = ThreadPoolExecutor(workers)
    try:
        list(pool.map(create, range(count)))
    finally:
        # On Ctrl-C: drop what has not started; wait for what has, so cleanup sees it.
        pool.shutdown(wait=True, cancel_futures=True)


def remove_containers(client: docker.DockerClient, run_id: str, workers: int) -> int:
    mine = client.api.containers(all=True, filters={"label": f"{LABEL}={run_id}"})

    def remove(item: dict[str, Any]) -> None:
        try:
            client.api.remove_container(item["Id"], force=True)
        except docker.errors.NotFound:
            pass

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(remove, mine))
    return len(mine)


def timed(methods: list[Callable[[], int]], runs: int) -> list[tuple[list[float], int]]:
    """Round-robin over the methods, so drift in the engine does not favour one of them."""
    for fn in methods:
        fn()  # warm the connection pool and caches
    results: list[tuple[list[float], int]] = [([], 0) for _ in methods]
    for _ in range(runs):
        for i, fn in enumerate(methods):
            start = time.perf_counter()
            size = fn()
            results[i][0].append(time.perf_counter() - start)
            results[i] = (results[i][0], size)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="containers to create")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per method")
    parser.add_argument("--sdk-runs", type=int, default=5,
                        help="timed runs of the slow SDK listing")  # fmt: skip
    parser.add_argument("--workers", type=int, default=16, help="threads creating containers")
    opts = parser.parse_args()

    client = docker.from_env(version="auto", timeout=120, max_pool_size=opts.workers)
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        print(f"needs the test image {IMAGE} (the test suite builds it)", file=sys.stderr)
        return 2
    run_id = uuid.uuid4().hex[:10]

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    # Also SIGINT: a shell starts background jobs with it ignored, and Ctrl-C must clean up.
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    try:
        started = time.perf_counter()
        create_containers(client, run_id, opts.count, opts.workers)
        print(f"created {opts.count} containers in {time.perf_counter() - started:.1f} s")

        engine = Engine.from_client(client)
        manager = DockerManager(engine)
        with tempfile.TemporaryDirectory() as home:
            settings = Settings(home=Path(home), _env_file=None)  # type: ignore[call-arg]
            gateway = build_gateway(settings, engine=engine)
            api = contextlib.ExitStack()
            http = api.enter_context(live_api(settings, engine))
            viewer = Actor("bench", Role.VIEWER)
            url = client.api._url("/containers/json")

            def raw() -> int:
                response = client.api.get(url, params={"all": 1})
                response.raise_for_status()
                return len(response.json())

            def ours_manager() -> int:
                return len(manager.list_containers(status="all"))

            def ours_gateway() -> int:
                outcome = gateway.call(viewer, "list_containers", {"status": "all"})
                assert outcome.status == "executed", outcome.message
                return len(outcome.result)

            def ours_api() -> int:
                response = http.get("/api/containers", params={"all": "true"})
                response.raise_for_status()
                return len(response.json())

            def sdk() -> int:
                # It inspects each listed container; one removed meanwhile (by anyone on the
                # engine) makes it raise NotFound. Retry rather than abort the benchmark.
                for _ in range(5):
                    try:
                        return len(client.containers.list(all=True))
                    except docker.errors.NotFound:
                        continue
                raise RuntimeError("the engine's containers keep changing; SDK listing failed")

            fast = [
                ("engine GET /containers/json", raw),
                ("ours: DockerManager.list_containers", ours_manager),
                ("ours: gateway list_containers (+audit)", ours_gateway),
                ("ours: API GET /api/containers?all=true", ours_api),
            ]
            slow = [("docker SDK containers.list(all=True)", sdk)]
            results = []
            for group, runs in ((fast, opts.runs), (slow, opts.sdk_runs)):
                for (name, _), (times, size) in zip(
                    group, timed([fn for _, fn in group], runs), strict=True
                ):
                    results.append((name, statistics.median(times), min(times), runs, size))
            api.close()

        base = results[0][1]
        print(f"\nlisting {results[0][4]} containers (engine total), median of N runs")
        print(f"{'method':42} {'runs':>4} {'median ms':>10} {'min ms':>8} {'x raw':>7}")
        for name, median, best, runs, _ in results:
            print(f"{name:42} {runs:>4} {median * 1e3:>10.1f} {best * 1e3:>8.1f} "
                  f"{median / base:>7.2f}")  # fmt: skip
        print(f"\nours/raw (manager) = {results[1][1] / base:.2f}  "
              f"ours/raw (gateway) = {results[2][1] / base:.2f}  "
              f"ours/raw (API) = {results[3][1] / base:.2f}  "
              f"sdk/raw = {results[4][1] / base:.2f}")  # fmt: skip
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout.flush()
        removed = remove_containers(client, run_id, opts.workers)
        print(f"removed {removed} benchmark containers", file=sys.stderr)
        client.close()


if __name__ == "__main__":
    sys.exit(main())
