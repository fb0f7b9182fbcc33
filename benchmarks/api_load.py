"""Load on the HTTP API: N concurrent clients for D seconds (mixed reads, chats and approvals),
then "is every executed call in the audit log?", then listing through the API vs the engine's
own /containers/json.

Starts the API (uvicorn, one subprocess per replica, each on a free 127.0.0.1 port with a
temporary home) with the offline rules planner. The store is the default SQLite file, or with
`--database postgresql` a throw-away PostgreSQL cluster (tests/pg.py: Debian's server in a
temporary directory on a free loopback port; `bash scripts/ensure-postgres.sh` installs it)
shared by `--replicas N` API processes (one JWT secret, as a deployment's replicas share).
The clients spread their requests over the replicas, as a round-robin load balancer would.

Each client repeats: GET /api/containers?all=true (as a viewer user or a viewer bot token),
POST /api/chat "list containers" (operator), and every `--approval-every`-th round an approval:
POST /api/chat "restart <container>" (operator, pending) then POST /api/approvals/{id} approve
(admin, on the next replica). Prints request count, errors, p50/p99 latency per kind and the
throughput; checks the audit: executed list_containers reads (audit_reads) = listings + chat
listings, and `executed` restart_container rows = approvals that ran, `proposed` = approvals
asked for; nothing else. Removes everything it created, also on Ctrl-C.

    python benchmarks/api_load.py --clients 50 --seconds 60 [--containers 500]
    python benchmarks/api_load.py --database postgresql --replicas 2
    python benchmarks/api_load.py --compare      # 1 process on SQLite, then 2 on PostgreSQL,
                                                 # and the throughput ratio
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
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

from tests.live_server import free_port, wait_for_http  # noqa: E402

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

    # DOCKERDEPLOYER_DATABASE_URL / _JWT_SECRET come from the environment the parent sets.
    settings = Settings(home=Path(home), _env_file=None)
    app = create_app(services=build_services(settings, model=model))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the load -------------------------------------------------------------------------------------

KINDS = ("list", "chat", "propose", "approve")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    ok: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    chat_listings: int = 0  # list_containers calls the chat replies say were executed
    approvals_asked: int = 0  # restart_container approvals the chats came back with
    approvals_run: int = 0  # approvals whose decision says the restart was executed


@dataclass
class Principals:
    viewers: list[dict[str, str]]  # a viewer user and a viewer bot token
    operator: dict[str, str]
    admin: dict[str, str]


class Clients:
    """One HTTP client per replica; requests go round-robin over them (a load balancer)."""

    def __init__(self, bases: list[str]) -> None:
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so a request never
        # races the server closing its connection (a ReadError that is the client's doing).
        limits = httpx.Limits(keepalive_expiry=2)
        self.https = [httpx.AsyncClient(base_url=b, timeout=120, limits=limits) for b in bases]
        self.turn = 0

    def next(self) -> httpx.AsyncClient:
        self.turn += 1
        return self.https[self.turn % len(self.https)]

    async def aclose(self) -> None:
        for http in self.https:
            await http.aclose()


async def timed(tally: Tally, kind: str, send: Any) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response: httpx.Response = await send
    except httpx.HTTPError as exc:
        tally.errors[f"{kind}: {type(exc).__name__}"] += 1
        return None
    tally.latencies[kind].append(time.perf_counter() - start)
    return response


def expect(tally: Tally, kind: str, response: httpx.Response | None, status: int = 200) -> bool:
    if response is None:
        return False
    if response.status_code != status:
        tally.errors[f"{kind}: HTTP {response.status_code} {response.text[:80]}"] += 1
        return False
    tally.ok[kind] += 1
    return True


async def client_loop(
    index: int, bases: list[str], who: Principals, targets: list[str], deadline: float,
    tally: Tally, approval_every: int,
) -> None:  # fmt: skip
    clients = Clients(bases[index % len(bases) :] + bases[: index % len(bases)])
    viewer = who.viewers[index % len(who.viewers)]
    rounds = 0
    try:
        while time.monotonic() < deadline:
            rounds += 1
            kind = "list" if (index + rounds) % 2 else "chat"
            if kind == "list":
                r = await timed(tally, "list", clients.next().get(
                    "/api/containers", params={"all": "true"}, headers=viewer))  # fmt: skip
                expect(tally, "list", r)
            else:
                listing = {"message": "list containers"}
                r = await timed(tally, "chat", clients.next().post(
                    "/api/chat", json=listing, headers=who.operator))  # fmt: skip
                if expect(tally, "chat", r):
                    assert r is not None
                    tally.chat_listings += sum(
                        1 for call in r.json()["tool_calls"]
                        if call["tool"] == "list_containers" and call["status"] == "executed"
                    )  # fmt: skip
            if approval_every and rounds % approval_every == 0 and time.monotonic() < deadline:
                await approval_round(clients, who, targets[index % len(targets)], tally)
    finally:
        await clients.aclose()


async def approval_round(clients: Clients, who: Principals, target: str, tally: Tally) -> None:
    """A change through the agent: the chat pauses for approval, an admin approves it on the
    next replica, and the paused conversation resumes there."""
    r = await timed(tally, "propose", clients.next().post(
        "/api/chat", json={"message": f"restart {target}"}, headers=who.operator))  # fmt: skip
    if not expect(tally, "propose", r):
        return
    assert r is not None
    approvals = [a for a in r.json()["approvals"] if a["tool"] == "restart_container"]
    if len(approvals) != 1:
        tally.errors[f"propose: expected one pending restart, got {r.text[:80]}"] += 1
        return
    tally.approvals_asked += 1
    r = await timed(tally, "approve", clients.next().post(
        f"/api/approvals/{approvals[0]['id']}", json={"decision": "approve"},
        headers=who.admin))  # fmt: skip
    if expect(tally, "approve", r):
        assert r is not None
        body = r.json()
        if body["outcome"]["status"] == "executed":
            tally.approvals_run += 1
        else:
            tally.errors[f"approve: outcome {body['outcome']['status']}"] += 1
        if body.get("chat_error"):
            tally.errors[f"approve: chat not resumed: {body['chat_error'][:60]}"] += 1


async def run_load(
    bases: list[str], who: Principals, targets: list[str], clients: int, seconds: float,
    approval_every: int,
) -> Tally:  # fmt: skip
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(
        *(client_loop(i, bases, who, targets, deadline, tally, approval_every)
          for i in range(clients))
    )  # fmt: skip
    return tally


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def report(tally: Tally, seconds: float) -> float:
    """Prints the figures; returns the throughput (requests answered per second)."""
    every = [v for values in tally.latencies.values() for v in values]
    failed = sum(v for k, v in tally.errors.items() if "HTTP" not in k and "expected" not in k)
    total = len(every) + failed
    print(f"\nrequests: {total} in {seconds:.0f} s ({total / seconds:.1f}/s)")
    for kind in KINDS:
        values = tally.latencies[kind]
        print(
            f"  {kind:8} ok {tally.ok[kind]:6}  p50 {percentile(values, 50) * 1000:7.1f} ms"
            f"  p99 {percentile(values, 99) * 1000:7.1f} ms"
        )
    p50, p99 = percentile(every, 50) * 1000, percentile(every, 99) * 1000
    print(f"  all      p50 {p50:.1f} ms  p99 {p99:.1f} ms")
    print(f"approvals: {tally.approvals_asked} asked, {tally.approvals_run} ran")
    print(f"errors: {sum(tally.errors.values())}")
    for what, count in tally.errors.most_common(10):
        print(f"  {count:6}  {what}")
    return total / seconds


def check_audit(database_url: str, tally: Tally) -> bool:
    """Every successful listing (GET /api/containers, and list_containers in chat replies) is
    counted once in audit_reads; every approval asked for is one `proposed` restart_container
    row, every one that ran one `approved` and one `executed` row; nothing else."""
    from sqlalchemy import func, select

    from foundation.db import make_engine, make_sessionmaker
    from tools.store import AuditReadRow, AuditRow

    sessions = make_sessionmaker(make_engine(database_url))
    with sessions() as session:
        reads = session.execute(
            select(func.coalesce(func.sum(AuditReadRow.executed), 0),
                   func.coalesce(func.sum(AuditReadRow.failed), 0))
            .where(AuditReadRow.tool == "list_containers")
        ).one()  # fmt: skip
        rows = dict(
            session.execute(
                select(AuditRow.event, func.count())
                .where(AuditRow.tool.in_(["list_containers", "restart_container"]))
                .group_by(AuditRow.event)
            ).all()
        )
    listings = tally.ok["list"] + tally.chat_listings
    wanted = {"proposed": tally.approvals_asked, "approved": tally.approvals_run,
              "executed": tally.approvals_run}  # fmt: skip
    wanted = {k: v for k, v in wanted.items() if v}
    good = tuple(reads) == (listings, 0) and rows == wanted
    print(
        f"\naudit: list_containers reads counted {reads[0]} (failed {reads[1]}), expected "
        f"{listings} ({tally.ok['list']} listings + {tally.chat_listings} from chat); "
        f"restart_container rows {rows}, expected {wanted} -> {'OK' if good else 'MISMATCH'}"
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
    failed = wait_for_http(f"{base}/api/health", server, timeout)
    if failed == "exited":
        raise SystemExit(f"the API exited at start-up (code {server.returncode})")
    if failed:
        raise SystemExit(f"the API did not answer within {timeout:.0f} s")


def accounts_for(settings_env: dict[str, str], home: Path) -> tuple[Principals, list[str]]:
    """Users and a bot token, straight into the store the API will open; returns their
    headers (after signing in on the first replica) and the credentials to sign in with."""
    from api.accounts import Accounts
    from dockerdeployer.wiring import build_sessions
    from foundation.settings import Settings

    settings = Settings(
        home=home, database_url=settings_env.get("DOCKERDEPLOYER_DATABASE_URL"), _env_file=None
    )
    accounts = Accounts(build_sessions(settings))
    for name, role in (("loadviewer", "viewer"), ("loadoperator", "operator"),
                       ("loadadmin", "admin")):  # fmt: skip
        accounts.add_user(name, PASSWORD, role)
    bot = str(accounts.create_token("loadbot", "viewer", "bench")["token"])
    return Principals([{"Authorization": f"Bearer {bot}"}], {}, {}), [bot]


def sign_in(base: str, who: Principals) -> None:
    def token(name: str) -> dict[str, str]:
        login = httpx.post(f"{base}/api/auth/login", json={"username": name, "password": PASSWORD},
                           timeout=60)  # fmt: skip
        login.raise_for_status()
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    who.viewers.insert(0, token("loadviewer"))
    who.operator.update(token("loadoperator"))
    who.admin.update(token("loadadmin"))


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@dataclass
class Result:
    label: str
    throughput: float
    errors: int
    audit_ok: bool


def run_config(
    args: argparse.Namespace, client: docker.DockerClient, database: str, replicas: int
) -> Result:
    label = f"{replicas} API process{'es' if replicas > 1 else ''} on {database}"
    print(f"\n=== {label} ===")
    run_id = "load" + uuid.uuid4().hex[:8]
    root = Path(tempfile.mkdtemp(prefix="dd-api-load-"))
    servers: list[subprocess.Popen[bytes]] = []
    cluster: Any = None
    tally: Tally | None = None
    good = False
    throughput = 0.0
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKERDEPLOYER_")}
        settings_env = {"DOCKERDEPLOYER_JWT_SECRET": secrets.token_urlsafe(48)}
        if database == "postgresql":
            from tests.pg import Cluster

            cluster = Cluster().start()
            cluster.execute("CREATE DATABASE load")
            settings_env["DOCKERDEPLOYER_DATABASE_URL"] = cluster.url("load")
            print(f"PostgreSQL on 127.0.0.1:{cluster.port} ({cluster.root})")
        else:
            settings_env["DOCKERDEPLOYER_DATABASE_URL"] = f"sqlite:///{root / 'state.db'}"
        who, _ = accounts_for(settings_env, root / "home0")
        bases = []
        for i in range(replicas):
            port = free_port()
            bases.append(f"http://127.0.0.1:{port}")
            servers.append(subprocess.Popen(
                [sys.executable, __file__, "--serve", "--home", str(root / f"home{i}"),
                 "--port", str(port)],
                env={**env, **settings_env, "PYTHONPATH": str(ROOT)},
            ))  # fmt: skip
        for base, server in zip(bases, servers, strict=True):
            wait_until_up(base, server)
        sign_in(bases[0], who)
        print(f"creating {args.running} running + {args.containers} created containers ...")
        create_containers(client, run_id, args.running, args.containers)
        targets = [f"ddt-load-{run_id}-{i:04d}" for i in range(args.running)]
        print(f"{args.clients} clients for {args.seconds:.0f} s against {', '.join(bases)} ...")
        started = time.monotonic()
        tally = asyncio.run(run_load(bases, who, targets, args.clients, args.seconds,
                                     args.approval_every))  # fmt: skip
        throughput = report(tally, time.monotonic() - started)
        if args.listing_runs:
            compare_listing(bases[0], who.viewers[0], client, args.listing_runs)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        raise
    finally:
        for server in servers:  # a clean stop flushes each replica's read counts
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        if tally is not None:
            good = check_audit(settings_env["DOCKERDEPLOYER_DATABASE_URL"], tally)
        removed = remove_containers(client, run_id)
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
        print(f"removed {removed} containers and {root}")
    return Result(label, throughput, sum(tally.errors.values()) if tally else -1, good)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--running", type=int, default=6, help="running test containers")
    parser.add_argument(
        "--containers", type=int, default=0, help="also create N created-not-started containers"
    )
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--replicas", type=int, default=1, help="API processes on one database")
    parser.add_argument(
        "--approval-every", type=int, default=5,
        help="each client asks for (and approves) a restart every N rounds; 0: never",
    )  # fmt: skip
    parser.add_argument(
        "--compare", action="store_true",
        help="run 1 process on SQLite, then --replicas (default 2) on PostgreSQL; print the ratio",
    )  # fmt: skip
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
    signal.signal(signal.SIGTERM, _interrupted)
    print("model: " + ("offline rules planner" if offline_planner_available() else
                       "scripted listing model"))  # fmt: skip
    if args.compare:
        configs = [("sqlite", 1), ("postgresql", max(args.replicas, 2))]
        args.listing_runs = 0
    else:
        configs = [(args.database, args.replicas)]
    try:
        results = [run_config(args, client, db, n) for db, n in configs]
    except KeyboardInterrupt:
        return 1
    print("\n=== summary ===")
    for result in results:
        print(f"  {result.label:40} {result.throughput:7.1f} req/s  errors {result.errors}  "
              f"audit {'OK' if result.audit_ok else 'MISMATCH'}")  # fmt: skip
    if len(results) == 2 and results[0].throughput:
        ratio = results[1].throughput / results[0].throughput
        print(f"  throughput ratio ({results[1].label} / {results[0].label}): {ratio:.2f}x")
    return 0 if all(r.audit_ok and r.errors == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
