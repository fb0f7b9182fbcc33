"""Containers, a container's logs and inspect data, and approvals as MCP resources, with
subscriptions for changes.

Reads go through the gateway as the caller (the same role checks and read counts as the tools)
and come back fenced exactly like tool output: what a container writes is data, never
instructions. Changes are found by polling, and only while someone is subscribed: the container
list (IDs, names, images, states, health), a subscribed container's start time, state, restart
count and health (inspect) or last log line (logs), and approvals' states. Both kinds of client
hear about them: handshake-era `resources/subscribe` (a notification on the connection) and
2026-era `subscriptions/listen` (an event on the SDK's subscription bus).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from mcp.server import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.session import ServerSession
from mcp.server.subscriptions import ServerEvent
from mcp.shared.subscriptions import ResourceUpdated
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from agent.lc_tools import fence
from api.mcp.approvals import APPROVAL_URI, outcome_of
from api.mcp.identity import Identify, NoCaller
from api.mcp.results import for_viewer
from tools.approvals import Approval, ApprovalStatus, redact_public
from tools.errors import ApprovalNotFound, DockerDeployerError, ErrorCode
from tools.gateway import CallOutcome, ToolGateway
from tools.guard.policy import Actor, Role

log = logging.getLogger("dockerdeployer.mcp")

CONTAINERS = "docker://containers"
INSPECT = "docker://containers/{container}/inspect"
LOGS = "docker://containers/{container}/logs"
PENDING = "dockerdeployer://approvals/pending"
_CONTAINER_URI = re.compile(r"^docker://containers/([^/]+)/(inspect|logs)$")
_APPROVAL_URI = re.compile(r"^dockerdeployer://approvals/([0-9a-f]{1,64})$")
_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")
LOG_TAIL = 100


def may_see(actor: Actor, approval: Approval) -> bool:
    """Your own requests; every request for an admin."""
    return approval.requested_by == actor.name or actor.role is Role.ADMIN


class CountingBus:
    """The SDK's in-process subscription bus (`SubscriptionBus`), counting its listeners so the
    poller knows whether anyone listens."""

    def __init__(self) -> None:
        self._listeners: dict[object, Callable[[ServerEvent], None]] = {}

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    async def publish(self, event: ServerEvent) -> None:
        for listener in list(self._listeners.values()):
            try:
                listener(event)
            except Exception:  # one bad stream must not starve the others
                log.exception("subscription listener raised")
        await anyio.lowlevel.checkpoint()

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        token = object()
        self._listeners[token] = listener
        return lambda: self._listeners.pop(token, None) and None


class Resources:
    """The resource handlers, as the caller."""

    def __init__(self, gateway: ToolGateway, identify: Identify) -> None:
        self.gateway = gateway
        self.identify = identify

    def register(self, server: MCPServer[Any]) -> None:
        text = "text/plain"
        server.resource(
            CONTAINERS,
            name="containers",
            mime_type=text,
            description="Every container on every host, running or not.",
        )(self.containers)
        server.resource(
            INSPECT,
            name="container",
            mime_type=text,
            description="One container's inspect data (name or ID).",
        )(self.inspect)
        server.resource(
            LOGS,
            name="container_logs",
            mime_type=text,
            description=f"One container's last {LOG_TAIL} log lines.",
        )(self.logs)
        server.resource(
            PENDING,
            name="pending_approvals",
            mime_type=text,
            description="Changes waiting for a person (yours; all for an admin).",
        )(self.pending)
        server.resource(APPROVAL_URI, name="approval", mime_type=text,
                        description="One approval: pending, executed (with result), rejected.")(
            self.approval)  # fmt: skip

    async def containers(self) -> str:
        return await self._read("list_containers", {"status": "all"})

    async def inspect(self, container: str) -> str:
        return await self._read("inspect_container", {"container": container})

    async def logs(self, container: str) -> str:
        return await self._read("container_logs", {"container": container, "tail": LOG_TAIL})

    async def pending(self) -> str:
        actor = self._actor()
        found = await anyio.to_thread.run_sync(
            partial(self.gateway.approvals.list, ApprovalStatus.PENDING.value, 200)
        )
        cards = [redact_public(a.public(), actor) for a in found if may_see(actor, a)]
        return fence(CallOutcome("approvals", {}, "executed", f"{len(cards)} pending", cards))

    async def approval(self, approval_id: str) -> str:
        actor = self._actor()
        try:
            found = await anyio.to_thread.run_sync(self.gateway.approvals.get, approval_id[:64])
        except ApprovalNotFound:
            found = None
        if found is None or not may_see(actor, found):
            raise ResourceNotFoundError(f"no approval {approval_id!r} of yours")
        return fence(for_viewer(outcome_of(found), actor))

    def _actor(self) -> Actor:
        try:
            return self.identify()
        except NoCaller as exc:
            raise ResourceError(str(exc)) from None

    async def _read(self, tool: str, args: dict[str, Any]) -> str:
        actor = self._actor()
        outcome = await anyio.to_thread.run_sync(partial(self.gateway.call, actor, tool, args))
        if outcome.status != "executed":
            if outcome.error_code is ErrorCode.CONTAINER_NOT_FOUND:
                raise ResourceNotFoundError(outcome.message)
            raise ResourceError(outcome.message)
        return fence(outcome)


class ChangeWatcher:
    """Polls what subscribers watch and tells them when it changed (a cue to read again)."""

    def __init__(self, gateway: ToolGateway, bus: CountingBus, poll_seconds: float) -> None:
        self.gateway = gateway
        self.bus = bus
        self.poll_seconds = poll_seconds
        # Handshake-era subscribers: URI -> connection -> the session to notify through. A
        # connection is told apart by its `client_params` (one object per connection).
        self.sessions: dict[str, dict[int, ServerSession]] = {}
        self.listened: set[str] = set()  # URIs 2026-era streams asked for
        self.last: dict[str, Any] = {}

    # --- who is watching ------------------------------------------------------------------------

    def install(self, server: MCPServer[Any], identify: Identify) -> None:
        """The handshake-era subscribe pair (MCPServer serves only `subscriptions/listen`; the
        SDK points at the low-level server for methods the 2026 revision removed) and a
        middleware that notes what 2026-era streams listen for."""

        async def subscribe(
            ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams
        ) -> EmptyResult:
            uri = str(params.uri)
            match = _APPROVAL_URI.match(uri)
            if match and not await self._may_watch_approval(identify, match.group(1)):
                raise ResourceNotFoundError(f"no approval {match.group(1)!r} of yours")
            self.sessions.setdefault(uri, {})[id(ctx.session.client_params)] = ctx.session
            return EmptyResult()

        async def unsubscribe(
            ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams
        ) -> EmptyResult:
            self.sessions.get(str(params.uri), {}).pop(id(ctx.session.client_params), None)
            return EmptyResult()

        async def note_listened(
            ctx: ServerRequestContext[Any, Any],
            call_next: Callable[[ServerRequestContext[Any, Any]], Awaitable[Any]],
        ) -> Any:
            if ctx.method == "subscriptions/listen" and isinstance(ctx.params, dict):
                wanted = (ctx.params.get("notifications") or {}).get("resourceSubscriptions")
                if isinstance(wanted, list):
                    self.listened.update(str(uri) for uri in wanted[:100])
            return await call_next(ctx)

        lowlevel = server._lowlevel_server  # noqa: SLF001 - see the docstring
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)
        server.middleware.append(note_listened)

    async def _may_watch_approval(self, identify: Identify, approval_id: str) -> bool:
        try:
            actor = identify()
            found = await anyio.to_thread.run_sync(self.gateway.approvals.get, approval_id)
        except (NoCaller, ApprovalNotFound):
            return False
        return may_see(actor, found)

    def watched(self) -> set[str]:
        if self.bus.listeners == 0:
            self.listened.clear()
        return {uri for uri, sessions in self.sessions.items() if sessions} | self.listened

    # --- the poll -------------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            await anyio.sleep(self.poll_seconds)
            await self.check()

    async def check(self) -> None:
        uris = self.watched()
        if not uris:
            self.last.clear()
            return
        now = await anyio.to_thread.run_sync(self.fingerprints, uris)
        for uri, value in now.items():
            if uri in self.last and self.last[uri] != value:
                await self.publish(uri)
        self.last = now

    async def publish(self, uri: str) -> None:
        await self.bus.publish(ResourceUpdated(uri=uri))
        for key, session in list(self.sessions.get(uri, {}).items()):
            try:
                await session.send_resource_updated(uri)
            except Exception:  # the connection is gone: forget it
                self.sessions[uri].pop(key, None)

    def fingerprints(self, uris: Iterable[str]) -> dict[str, Any]:
        """What each watched URI looks like now (engine and store reads, off the event loop)."""
        prints: dict[str, Any] = {}
        for uri in uris:
            try:
                prints[uri] = self._fingerprint(uri)
            except DockerDeployerError as exc:
                prints[uri] = ("error", exc.message)
        return prints

    def _fingerprint(self, uri: str) -> Any:
        if uri == CONTAINERS:
            rows = []
            for host, manager in self.gateway.managers.items():
                for r in manager.container_records(all=True):
                    health = _HEALTH.search(r.status)
                    rows.append((host, r.id, r.name, r.image, r.state, health and health[1]))
            return sorted(rows)
        if uri == PENDING:
            return sorted(a.id for a in self.gateway.approvals.list(ApprovalStatus.PENDING.value))
        if match := _APPROVAL_URI.match(uri):
            try:
                return self.gateway.approvals.get(match[1]).status.value
            except ApprovalNotFound:
                return None
        if match := _CONTAINER_URI.match(uri):
            return self._container_print(match[1], match[2])
        return None

    def _container_print(self, ref: str, kind: str) -> Any:
        for manager in self.gateway.managers.values():
            try:
                record = manager.resolve_container(ref)
            except DockerDeployerError:
                continue
            raw = manager.inspect_raw(record.id)
            state = raw.get("State") or {}
            started = (record.id, state.get("Status"), state.get("StartedAt"))
            if kind == "logs":
                text, _, _ = manager.logs(record.id, 1)
                return (*started, text)
            health = (state.get("Health") or {}).get("Status")
            return (*started, state.get("FinishedAt"), raw.get("RestartCount"), health)
        return None
