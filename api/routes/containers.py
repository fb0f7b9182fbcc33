"""Containers: every read and action goes through the same guard, approvals and audit."""

from __future__ import annotations

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
from tools.schemas import ContainerDetail, ContainerSummary, LogsResult, StatsResult

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
) -> Any:
    args = {"status": "all" if all else "running", "name": name, "label": label, "image": image}
    args = {k: v for k, v in args.items() if v is not None}
    return read_result(services.gateway.call(actor, "list_containers", args))


@router.get("/{ref}", response_model=ContainerDetail)
def inspect_container(ref: str, actor: CurrentActor, services: ServicesDep) -> Any:
    return read_result(services.gateway.call(actor, "inspect_container", {"container": ref}))


@router.get("/{ref}/logs", response_model=LogsResult)
def container_logs(
    ref: str,
    actor: CurrentActor,
    services: ServicesDep,
    tail: Annotated[int, Query(ge=1, le=10_000)] = 100,
    since: Annotated[str | None, Query(max_length=40)] = None,
    grep: Annotated[str | None, Query(max_length=200)] = None,
) -> Any:
    args: dict[str, Any] = {"container": ref, "tail": tail}
    if since:
        args["since"] = since
    if grep:
        args["grep"] = grep
    return read_result(services.gateway.call(actor, "container_logs", args))


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
