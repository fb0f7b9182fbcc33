"""Containers: every read and action goes through the same guard, approvals and audit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from api.deps import CurrentActor, ServicesDep
from api.routes.outcomes import action_response, read_result
from api.schemas import (
    ActionExecutedPublic,
    ActionPendingPublic,
    ContainerActionCreate,
    error_responses,
)
from api.sse import event_stream, sse
from tools.catalogue.diagnosis import Diagnosis
from tools.errors import DockerDeployerError, ErrorCode
from tools.gateway import FollowedLogs
from tools.schemas import (
    FOLLOW_SECONDS_MAX,
    ContainerDetail,
    ContainerSummary,
    LogsResult,
    StatsResult,
)

log = logging.getLogger("dockerdeployer.api")

router = APIRouter(
    prefix="/containers", tags=["containers"], responses=error_responses(401, 404, 422, 503)
)


@router.get("", response_model=list[ContainerSummary])
def list_containers(
    actor: CurrentActor,
    services: ServicesDep,
    all: bool = False,
    name: Annotated[str | None, Query(max_length=255)] = None,
    label: Annotated[str | None, Query(max_length=512)] = None,
    image: Annotated[str | None, Query(max_length=255)] = None,
    condition: Literal["unhealthy", "restarting", "exited_nonzero", "never_started"] | None = None,
) -> Any:
    """Running containers (`all=true`: every one); `condition`: only those in that trouble."""
    args = {"status": "all" if all else "running", "name": name, "label": label, "image": image,
            "condition": condition}  # fmt: skip
    args = {k: v for k, v in args.items() if v is not None}
    return read_result(services.gateway.call(actor, "list_containers", args))


@router.get("/{ref}", response_model=ContainerDetail)
def inspect_container(ref: str, actor: CurrentActor, services: ServicesDep) -> Any:
    return read_result(services.gateway.call(actor, "inspect_container", {"container": ref}))


@router.get("/{ref}/diagnosis", response_model=Diagnosis)
def diagnose_container(ref: str, actor: CurrentActor, services: ServicesDep) -> Any:
    """Why it crashed, exited or is unhealthy: the likely cause, the evidence, a fix."""
    return read_result(services.gateway.call(actor, "diagnose_container", {"container": ref}))


@router.get(
    "/{ref}/logs",
    response_model=LogsResult,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def container_logs(
    ref: str,
    actor: CurrentActor,
    services: ServicesDep,
    tail: Annotated[int, Query(ge=1, le=10_000)] = 100,
    since: Annotated[str | None, Query(max_length=40)] = None,
    grep: Annotated[str | None, Query(max_length=200)] = None,
    follow: bool = False,
    seconds: Annotated[int, Query(ge=1, le=FOLLOW_SECONDS_MAX)] = 60,
) -> Any:
    """The last `tail` lines as JSON; with `follow=true`, Server-Sent Events instead: `line`
    (`{"text"}`) for each line as the container writes it, then `end` (`{"lines"}`) after
    `seconds`, at the tail cap, or when the container stops."""
    args: dict[str, Any] = {"container": ref, "tail": tail}
    if since:
        args["since"] = since
    if grep:
        args["grep"] = grep
    if not follow:
        return read_result(services.gateway.call(actor, "container_logs", args))
    if not _STREAMS.acquire(blocking=False):
        raise TooManyStreams(f"{MAX_STREAMS} log streams are open on this server; try again later")
    try:
        followed = services.gateway.follow_logs(actor, {**args, "seconds": seconds})
        read_result(followed.outcome)  # refused or unknown: its own status, before any event
    except BaseException:
        _STREAMS.release()
        raise
    slot = _StreamSlot(followed)
    events = _follow_events(followed, slot)
    # A response never started (its client gone before the first byte) runs no `finally`:
    # the slot is given back when the unstarted generator is collected.
    weakref.finalize(events, slot.release)
    return event_stream(events)


# Each open stream has a thread of its own reading the engine (not one of the server's worker
# threads, which a few quiet containers would otherwise hold for their whole window).
MAX_STREAMS = 64
_STREAMS = threading.BoundedSemaphore(MAX_STREAMS)
KEEPALIVE_SECONDS = 15.0


class TooManyStreams(DockerDeployerError):
    code = ErrorCode.RATE_LIMITED


class _StreamSlot:
    """One open stream's place under MAX_STREAMS; `release` ends the engine stream and gives
    the place back, once, whoever calls it first (the reader done, the client gone, the GC)."""

    def __init__(self, followed: FollowedLogs) -> None:
        self._followed = followed
        self._lock = threading.Lock()
        self._released = False

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._followed.stop()
        _STREAMS.release()


async def _follow_events(followed: FollowedLogs, slot: _StreamSlot) -> AsyncIterator[str]:
    """`line` events as the reader thread hands lines over, `end` when it is done; a comment
    every KEEPALIVE_SECONDS of silence keeps proxies from closing the connection. A client that
    goes away ends the engine stream at once (not at its deadline)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def hand_over(item: tuple[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def read() -> None:
        try:
            for line in followed.lines:
                hand_over(("line", line))
            hand_over(("end", None))
        except DockerDeployerError as exc:
            hand_over(("error", {"detail": exc.message, "code": exc.code}))
        except Exception:
            log.exception("following logs failed")
            hand_over(("error", {"detail": "internal error; it has been logged",
                                 "code": ErrorCode.INTERNAL}))  # fmt: skip
        finally:
            slot.release()

    threading.Thread(target=read, name="follow-logs", daemon=True).start()
    sent = 0
    try:
        while True:
            try:
                kind, data = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if kind == "line":
                sent += 1
                yield sse("line", {"text": data})
                continue
            if kind == "error":
                yield sse("error", data)
            yield sse("end", {"lines": sent})
            return
    finally:
        slot.release()  # a client that left: the reader's blocked read ends now


@router.get("/{ref}/stats", response_model=StatsResult)
def container_stats(ref: str, actor: CurrentActor, services: ServicesDep) -> Any:
    return read_result(services.gateway.call(actor, "container_stats", {"container": ref}))


@router.post(
    "/{ref}/{action}",
    response_model=ActionExecutedPublic,
    responses={
        202: {"model": ActionPendingPublic, "description": "Waiting for approval"},
        **error_responses(403, 409),
    },
)
def container_action(
    ref: str,
    action: Literal["start", "stop", "restart", "remove"],
    actor: CurrentActor,
    services: ServicesDep,
    body: Annotated[ContainerActionCreate | None, Body()] = None,
) -> JSONResponse:
    """200 with the result, 202 with the pending approval, 403 refused, 404 unknown."""
    args: dict[str, Any] = {"container": ref}
    if body is not None and action == "remove" and body.force:
        args["force"] = True
    if body is not None and action in ("stop", "restart") and body.timeout is not None:
        args["timeout"] = body.timeout
    return action_response(services.gateway.call(actor, f"{action}_container", args))
