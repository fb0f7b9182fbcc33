"""Load on the HTTP API: N concurrent clients for D seconds, then "is every executed call in the
audit log?", then listing through the API vs the engine's own /containers/json.

Starts the API (uvicorn, in a subprocess, on a free 127.0.0.1 port, temporary home) with the
offline rules planner, or, while that cannot be imported, a small scripted model that answers
"list containers" with the list_containers tool. Creates a few labelled containers, runs the
clients (GET /api/containers?all=true and POST /api/chat "list containers", alternating), prints
request count, errors and p50/p99 latency, checks the audit log holds exactly the executed
list_containers calls the successful requests imply, and removes everything it created, also on
Ctrl-C.

    python benchmarks/api_load.py --clients 50 --seconds 60 [--containers 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMAGE = "dockerdeployer-test/busybox:1"
LABEL = "ddtest.run"  # the test suite's label: a leftover is cleaned up like theirs
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
PASSWORD = "bench-password-not-secret"


# --- the server (this same script, run with --serve) ---------------------------------------------


def offline_planner_available() -> bool:
    try:
        from agent.planner import ContainerBrief, Plan, PlannedCall, plan_request  # noqa: F401
    except ImportError:
        return False
    return True


def scripted_model() -> Any:
    """Stands in for the offline planner while it cannot be imported: 'list ...' -> the
    list_containers tool, then a one-line answer from its result; anything else -> text."""
    import types

    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langchain_core.outputs import ChatGeneration, ChatResult

    # agent.factory imports the planner's names at module level; give it inert ones.
    stub = types.ModuleType("agent.planner")
    for name in ("ContainerBrief", "Plan", "PlannedCall", "plan_request"):
        setattr(stub, name, type(name, (), {}))
    sys.modules.setdefault("agent.planner", stub)

    class ListingModel(GenericFakeChatModel):
        disable_streaming: bool = True

        def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
            return self

        def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None,
                      **kwargs: Any) -> ChatResult:  # fmt: skip
            last = messages[-1]
            if isinstance(last, ToolMessage):
                reply = AIMessage(content=f"Listed: {str(last.content)[:80]}")
            elif isinstance(last, HumanMessage) and "list" in str(last.content).lower():
                call = {"name": "list_containers", "args": {"status": "all"},
                        "id": f"call_{uuid.uuid4().hex}"}  # fmt: skip
                reply = AIMessage(content="", tool_calls=[call])
            else:
                reply = AIMessage(content="I can list containers.")
            return ChatResult(generations=[ChatGeneration(message=reply)])

    return ListingModel(messages=iter(()))


def serve(home: str, port: int) -> None:
    import uvicorn

    model = None if offline_planner_available() else scripted_model()
    from api.main import create_app
    from dockerdeployer.wiring import build_services
    from foundation.settings import Settings

    settings = Settings(home=Path(home), _env_file=None)
    app = create_app(services=build_services(settings, model=model))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"list": [], "chat": []})
    ok: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    chat_listings: int = 0  # list_containers calls the chat replies say were executed


async def client_loop(
    base: str, headers: dict[str, str], deadline: float, tally: Tally, first: str
) -> None:
    kinds = ["list", "chat"] if first == "list" else ["chat", "list"]
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
        turn = 0
        while time.monotonic() < deadline:
            kind = kinds[turn % 2]
            turn += 1
            start = time.perf_counter()
            try:
                if kind == "list":
                    response = await http.get("/api/containers", params={"all": "true"})
                else:
                    response = await http.post("/api/chat", json={"message": "list containers"})
            except httpx.HTTPError as exc:
                tally.errors[f"{kind}: {type(exc).__name__}"] += 1
                continue
            tally.latencies[kind].append(time.perf_counter() - start)
            if response.status_code != 200:
                tally.errors[f"{kind}: HTTP {response.status_code} {response.text[:80]}"] += 1
                continue
            tally.ok[kind] += 1
            if kind == "chat":
                tally.chat_listings += sum(
                    1
                    for call in response.json()["tool_calls"]
                    if call["tool"] == "list_containers" and call["status"] == "executed"
                )


async def run_load(base: str, tokens: list[dict[str, str]], clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(
            client_loop(base, tokens[i % len(tokens)], deadline, tally, "list" if i % 2 else "chat")
            for i in range(clients)
        )
    )
    return tally


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def report(tally: Tally, seconds: float) -> None:
    every = tally.latencies["list"] + tally.latencies["chat"]
    total = len(every) + sum(v for k, v in tally.errors.items() if "HTTP" not in k)
    print(f"\nrequests: {total} in {seconds:.0f} s ({total / seconds:.0f}/s)")
    for kind in ("list", "chat"):
        values = tally.latencies[kind]
        print(
            f"  {kind:5} ok {tally.ok[kind]:6}  p50 {percentile(values, 50) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 99) * 1000:7.1f} ms"
        )
    p50, p99 = percentile(every, 50) * 1000, percentile(every, 99) * 1000
    print(f"  all   p50 {p50:.1f} ms  p99 {p99:.1f} ms")
    print(f"errors: {sum(tally.errors.values())}")
    for what, count in tally.errors.most_common(10):
        print(f"  {count:6}  {what}")


def check_audit(home: Path, tally: Tally) -> bool:
    """Every successful GET /api/containers and every executed chat listing is one `executed`
    list_containers row; nothing more, nothing less, and no failed ones."""
    from sqlalchemy import func, select

    from foundation.db import make_engine, make_sessionmaker
    from foundation.settings import Settings
    from tools.store import AuditRow

    settings = Settings(home=home, _env_file=None)
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url))
    with sessions() as session:
        rows = dict(
            session.execute(
                select(AuditRow.event, func.count())
                .where(AuditRow.tool == "list_containers")
                .group_by(AuditRow.event)
            ).all()
        )
    expected = tally.ok["list"] + tally.chat_listings
    found = rows.get("executed", 0)
    others = {event: count for event, count in rows.items() if event != "executed"}
    good = found == expected and not others
    print(
        f"\naudit: executed list_containers rows {found}, expected {expected} "
        f"({tally.ok['list']} listings + {tally.chat_listings} from chat)"
        f"{'' if not others else f'; other events {others}'} -> {'OK' if good else 'MISMATCH'}"
    )
    return good


# --- listing: the API vs the engine's own round trip ---------------------------------------------


def compare_listing(
    base: str, headers: dict[str, str], client: docker.DockerClient, runs: int
) -> None:
    api = client.api
    count = len(api.containers(all=True))

    def engine() -> None:
        api._result(api._get(api._url("/containers/json"), params={"all": 1}), json=True)

    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:

        def ours() -> None:
            response = http.get("/api/containers", params={"all": "true"})
            response.raise_for_status()
            response.json()

        timings: dict[str, list[float]] = {"engine": [], "api": []}
        methods: dict[str, Callable[[], None]] = {"engine": engine, "api": ours}
        for fn in methods.values():
            fn()  # warm up connections
        for _ in range(runs):
            for name, fn in methods.items():  # interleaved, so drift favours neither
                start = time.perf_counter()
                fn()
                timings[name].append(time.perf_counter() - start)
    engine_ms = statistics.median(timings["engine"]) * 1000
    api_ms = statistics.median(timings["api"]) * 1000
    print(
        f"\nlisting {count} containers (median of {runs}): engine /containers/json "
        f"{engine_ms:.1f} ms, GET /api/containers?all=true {api_ms:.1f} ms, "
        f"ratio {api_ms / engine_ms:.2f}x"
    )


# --- setup and teardown ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_image(client: docker.DockerClient) -> None:
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        busybox = shutil.which("busybox") or "/bin/busybox"
        with tempfile.TemporaryDirectory() as ctx:
            shutil.copy(busybox, Path(ctx) / "busybox")
            shutil.copy(ROOT / "tests/images/busybox/Dockerfile", Path(ctx) / "Dockerfile")
            client.images.build(path=ctx, tag=IMAGE, rm=True)


def create_containers(client: docker.DockerClient, run_id: str, running: int, created: int) -> None:
    def make(i: int) -> None:
        started = i < running
        container = client.api.create_container(
            IMAGE,
            command=SLEEPER if started else ["true"],
            name=f"ddt-load-{run_id}-{i:04d}",
            labels={LABEL: run_id},
        )
        if started:
            client.api.start(container["Id"])

    pool = ThreadPoolExecutor(8)
    try:
        list(pool.map(make, range(running + created)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def remove_containers(client: docker.DockerClient, run_id: str) -> int:
    mine = client.api.containers(all=True, filters={"label": f"{LABEL}={run_id}"})

    def remove(item: dict[str, Any]) -> None:
        try:
            client.api.remove_container(item["Id"], force=True)
        except docker.errors.NotFound:
            pass

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(remove, mine))
    return len(mine)


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the API exited at start-up (code {server.returncode})")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the API did not answer within 60 s")


def accounts_for(home: Path) -> tuple[str, str]:
    """A viewer user and a viewer bot token, straight into the store the API will open."""
    from api.accounts import Accounts
    from dockerdeployer.wiring import build_sessions
    from foundation.settings import Settings

    settings = Settings(home=home, _env_file=None)
    accounts = Accounts(build_sessions(settings))
    accounts.add_user("loadviewer", PASSWORD, "viewer")
    return "loadviewer", str(accounts.create_token("loadbot", "viewer", "bench")["token"])


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--running", type=int, default=3, help="running test containers")
    parser.add_argument(
        "--containers", type=int, default=0, help="also create N created-not-started containers"
    )
    parser.add_argument("--listing-runs", type=int, default=25)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.home, args.port)
        return 0

    client = docker.from_env(version="auto", timeout=120)
    client.ping()
    ensure_image(client)
    run_id = "load" + uuid.uuid4().hex[:8]
    home = Path(tempfile.mkdtemp(prefix="dd-api-load-")) / "home"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server: subprocess.Popen[bytes] | None = None
    signal.signal(signal.SIGTERM, _interrupted)
    good = False
    try:
        planner = offline_planner_available()
        print("model: " + ("offline rules planner" if planner else "scripted listing model "
                           "(the offline planner does not import yet)"))  # fmt: skip
        user, bot_token = accounts_for(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERDEPLOYER_")}
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--home", str(home), "--port", str(port)],
            env={**env, "PYTHONPATH": str(ROOT)},
        )
        wait_until_up(base, server)
        login = httpx.post(f"{base}/api/auth/login", json={"username": user, "password": PASSWORD})
        login.raise_for_status()
        tokens = [
            {"Authorization": f"Bearer {login.json()['access_token']}"},
            {"Authorization": f"Bearer {bot_token}"},
        ]
        print(f"creating {args.running} running + {args.containers} created containers ...")
        create_containers(client, run_id, args.running, args.containers)
        print(f"{args.clients} clients for {args.seconds:.0f} s against {base} ...")
        started = time.monotonic()
        tally = asyncio.run(run_load(base, tokens, args.clients, args.seconds))
        report(tally, time.monotonic() - started)
        good = check_audit(home, tally) and not tally.errors
        compare_listing(base, tokens[0], client, args.listing_runs)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        removed = remove_containers(client, run_id)
        shutil.rmtree(home.parent, ignore_errors=True)
        print(f"removed {removed} containers and {home.parent}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
