"""What the engine boundary's allow-list costs per request body (goal: < 1 ms per create).

Times the whole per-request check the SDK client runs (path routing, JSON parse, every field
judged, bind roots with the symlink walk on real paths) on a typical `docker run`-like create
body, a compose-like one with several mounts, and a service spec; no engine is needed (the
lookups answer from memory, as a warm engine would on loopback).

    .venv/bin/python benchmarks/guard_checker.py [--runs 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from tools.guard.allowlist import Lookups, Rules
from tools.guard.boundary import Boundary

BUDGET_MS = 1.0


def bodies(root: Path) -> dict[str, tuple[str, str]]:
    (root / "site").mkdir(exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    run = {
        "Image": "nginx:alpine", "Cmd": ["nginx", "-g", "daemon off;"],
        "Env": ["A=1", "B=2", "TZ=UTC"], "Labels": {"team": "web", "tier": "front"},
        "ExposedPorts": {"80/tcp": {}},
        "HostConfig": {
            "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
            "Binds": [f"{root}/site:/usr/share/nginx/html:ro", "cache:/var/cache/nginx"],
            "RestartPolicy": {"Name": "unless-stopped"}, "Memory": 268435456,
            "NanoCpus": 500000000, "NetworkMode": "default", "CapAdd": ["NET_BIND_SERVICE"],
            "SecurityOpt": ["no-new-privileges:true"], "LogConfig": {"Type": "json-file"},
        },
    }  # fmt: skip
    compose = json.loads(json.dumps(run))
    compose["HostConfig"]["Mounts"] = [
        {"Type": "bind", "Source": f"{root}/data", "Target": f"/d{i}", "ReadOnly": i % 2 == 0}
        for i in range(6)
    ] + [{"Type": "tmpfs", "Target": "/tmp"}]
    compose["NetworkingConfig"] = {"EndpointsConfig": {"shop_default": {"Aliases": ["web"]}}}
    service = {
        "Name": "web", "Labels": {"team": "web"},
        "TaskTemplate": {"ContainerSpec": {
            "Image": "nginx:alpine", "Env": ["A=1"], "Mounts": [
                {"Type": "volume", "Source": "data", "Target": "/data"}]},
            "Resources": {"Limits": {"MemoryBytes": 268435456}}},
        "Mode": {"Replicated": {"Replicas": 3}},
    }  # fmt: skip
    return {
        "run_container": ("/v1.43/containers/create?name=web", json.dumps(run)),
        "compose (7 mounts)": ("/v1.41/containers/create?name=shop_web_1", json.dumps(compose)),
        "service create": ("/v1.43/services/create", json.dumps(service)),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        networks = {"shop_default": {"Name": "shop_default", "Driver": "bridge"}}
        gate = Boundary(
            lambda: Rules(bind_roots=(root,)),
            Lookups(volume=lambda name: None, network=networks.get),
        )
        print(f"{'request':28} {'median µs':>10} {'p99 µs':>9} {'vs 1 ms budget':>15}")
        for name, (path, body) in bodies(root).items():
            samples = []
            for _ in range(args.runs):
                start = time.perf_counter()
                gate.check("POST", "http+docker://localhost" + path, body)
                samples.append((time.perf_counter() - start) * 1e6)
            samples.sort()
            median = statistics.median(samples)
            p99 = samples[int(len(samples) * 0.99)]
            print(f"{name:28} {median:10.1f} {p99:9.1f} {median / (BUDGET_MS * 1000):14.3f}x")


if __name__ == "__main__":
    main()
