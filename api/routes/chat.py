"""Chat: one turn (JSON) or the same turn streamed as Server-Sent Events."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import CurrentActor, ServicesDep
from api.schemas import (
    ChatCreate,
    ChatPublic,
    ThreadPublic,
    ThreadSummaryPublic,
    error_responses,
)
from api.sse import SSE_RESPONSE, event_stream, sse
from tools.approvals import redact_public
from tools.errors import DockerDeployerError, ErrorCode
from tools.guard.policy import Actor

router = APIRouter(tags=["chat"], responses=error_responses(401, 403, 422, 503))
log = logging.getLogger("dockerdeployer.api")


@router.post("/chat", response_model=ChatPublic)
def chat(body: ChatCreate, actor: CurrentActor, services: ServicesDep) -> Any:
    result = services.assistant.chat(actor, body.message, body.thread_id, dry_run=body.dry_run)
    return _redacted(result.public(), actor)


def _redacted(turn: Any, actor: Actor) -> Any:
    """A turn's (or a thread's) approvals as the actor may see them (secret-like values for
    admins only)."""
    if isinstance(turn, dict) and isinstance(turn.get("approvals"), list):
        turn = {**turn, "approvals": [redact_public(a, actor) for a in turn["approvals"]]}
    return turn


@router.post(
    "/chat/stream",
    response_class=StreamingResponse,
    responses=SSE_RESPONSE,
)
def chat_stream(body: ChatCreate, actor: CurrentActor, services: ServicesDep) -> StreamingResponse:
    """Events: `thread` (its id, first), `token` (reply text as it comes), `tool_call`,
    `progress` (a running call's image pull), `tool_result`, `approval`, `done` (the same
    object POST /api/chat returns) or `error`."""

    turn = services.assistant.stream(actor, body.message, body.thread_id, dry_run=body.dry_run)

    def _event(event: str, data: Any) -> tuple[str, Any]:
        if event == "approval" and isinstance(data, dict):
            return event, redact_public(data, actor)
        return event, _redacted(data, actor) if event == "done" else data

    # The first event comes after the thread checks (owner, pending approval): taking it here
    # lets a refusal answer with its own status (403, 422) instead of a 200 stream.
    first = next(turn, None)

    def events() -> Iterator[str]:
        try:
            if first is not None:
                yield sse(*_event(*first))
            for event, data in turn:
                yield sse(*_event(event, data))
        except DockerDeployerError as exc:
            yield sse("error", {"detail": exc.message, "code": exc.code})
        except Exception:  # the stream has started: say so in-band rather than drop it
            log.exception("chat stream failed")
            detail = "internal error; it has been logged"
            yield sse("error", {"detail": detail, "code": ErrorCode.INTERNAL})

    return event_stream(events())


@router.get("/threads", response_model=list[ThreadSummaryPublic])
def threads(actor: CurrentActor, services: ServicesDep) -> list[dict[str, Any]]:
    return services.assistant.threads(actor)


@router.get("/threads/{thread_id}", response_model=ThreadPublic, responses=error_responses(404))
def thread_history(thread_id: str, actor: CurrentActor, services: ServicesDep) -> dict[str, Any]:
    return _redacted(
        {
            "thread_id": thread_id,
            "messages": services.assistant.history(actor, thread_id),
            "approvals": services.assistant.pending(thread_id),
        },
        actor,
    )
