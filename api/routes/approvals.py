"""Approvals: list, show, decide. Deciding runs the approved call exactly once (in the gateway)
and then lets the paused conversation continue."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import CurrentActor, ServicesDep
from api.schemas import ApprovalDecision, ApprovalPublic, DecisionPublic, error_responses
from api.services import Services
from api.sse import SSE_RESPONSE, event_stream, sse
from tools.approvals import ApprovalStatus, may_see
from tools.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalNotFound,
    ApprovalTargetChanged,
    DockerDeployerError,
    ErrorCode,
    PolicyDenied,
)
from tools.guard.policy import Actor
from tools.progress import watching

log = logging.getLogger("dockerdeployer.api")

router = APIRouter(
    prefix="/approvals", tags=["approvals"], responses=error_responses(401, 404, 422)
)


@router.get("", response_model=list[ApprovalPublic])
def list_approvals(
    actor: CurrentActor,
    services: ServicesDep,
    status: ApprovalStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Least visibility: your own requests, and (people only) those your role may decide; all
    for an admin. Secret-like values are redacted for everyone but admins."""
    found = services.gateway.approvals.list(status, limit, visible_to=actor)
    return [a.public(viewer=actor) for a in found]


@router.get("/{approval_id}", response_model=ApprovalPublic)
def get_approval(approval_id: str, actor: CurrentActor, services: ServicesDep) -> dict[str, Any]:
    approval = services.gateway.approvals.get(approval_id[:64])
    if not may_see(actor, approval):  # another's request you may not decide: not there for you
        raise ApprovalNotFound(f"no approval {approval_id[:64]!r}")
    return approval.public(viewer=actor)


@router.post(
    "/{approval_id}", response_model=DecisionPublic, responses=error_responses(403, 409, 410)
)
def decide(
    approval_id: str, body: ApprovalDecision, actor: CurrentActor, services: ServicesDep
) -> dict[str, Any]:
    return _decided(approval_id[:64], body, actor, services)


@router.post(
    "/{approval_id}/stream",
    response_class=StreamingResponse,
    responses={**SSE_RESPONSE, **error_responses(409)},
)
def decide_streamed(
    approval_id: str, body: ApprovalDecision, actor: CurrentActor, services: ServicesDep
) -> StreamingResponse:
    """The same decision as Server-Sent Events: `progress` while the approved call runs (an
    image pull: `{"kind": "pull", "image", "status", "current", "total"}`), then `done` (what
    POST /api/approvals/{id} returns) or `error` (`{"detail", "code"}`). The decision runs to
    its end even if the client goes away."""
    approval = services.gateway.approvals.get(approval_id[:64])
    if not may_see(actor, approval):
        raise ApprovalNotFound(f"no approval {approval_id[:64]!r}")
    if approval.status is not ApprovalStatus.PENDING:  # answered with its status, not a stream
        raise ApprovalAlreadyDecided(f"approval {approval.id} is already {approval.status}")
    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            with watching(lambda progress: events.put(("progress", progress))):
                decided = DecisionPublic.model_validate(
                    _decided(approval.id, body, actor, services)
                )
                events.put(("done", decided.model_dump(mode="json")))
        except DockerDeployerError as exc:
            events.put(("error", {"detail": exc.message, "code": exc.code}))
        except Exception:  # the stream has started: say so in-band
            log.exception("deciding approval %s failed", approval.id)
            events.put(("error", {"detail": "internal error; it has been logged",
                                  "code": ErrorCode.INTERNAL}))  # fmt: skip

    threading.Thread(target=work, name=f"decide-{approval.id}", daemon=True).start()

    def stream() -> Iterator[str]:
        while True:
            event, data = events.get()
            yield sse(event, data)
            if event != "progress":
                return

    return event_stream(stream())


def _decided(
    approval_id: str, body: ApprovalDecision, actor: Actor, services: Services
) -> dict[str, Any]:
    # Who may not decide gets the gateway's 403 (the contract for a role that forbids).
    try:
        outcome = services.gateway.decide(
            approval_id, actor, body.decision == "approve", body.reason
        )
    except (ApprovalExpired, ApprovalTargetChanged, PolicyDenied):
        # Settled without running. The paused conversation must still hear so: left with a
        # tool call and no result, the thread's next turn is refused by OpenAI-style models.
        _settle_thread(services, approval_id)
        raise
    chat: dict[str, Any] | None = None
    chat_error: str | None = None
    approval = outcome.approval or {}
    if approval.get("thread_id"):
        # The decision has taken effect; a failing conversation (model down) must not hide it.
        try:
            chat = services.assistant.resume_thread(approval["thread_id"]).public()
        except DockerDeployerError as exc:
            log.warning("thread %s not resumed: %s", approval["thread_id"], exc.message)
            chat_error = exc.message
    return {"approval": approval, "outcome": outcome.public(), "chat": chat,
            "chat_error": chat_error}  # fmt: skip


def _settle_thread(services: Services, approval_id: str) -> None:
    thread_id = services.gateway.approvals.get(approval_id).thread_id
    if not thread_id:
        return
    try:
        services.assistant.resume_thread(thread_id)
    except DockerDeployerError:
        log.exception("could not resume thread %s after approval %s", thread_id, approval_id)
