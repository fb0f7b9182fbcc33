"""Host-wide reads: what is in trouble, what uses the most, what the disk holds."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from api.deps import CurrentActor, ServicesDep
from api.routes.outcomes import read_result
from api.schemas import error_responses
from tools.catalogue.diagnosis import Problem
from tools.schemas import DiskUsage, StatsOverview

router = APIRouter(tags=["system"], responses=error_responses(401, 422, 503))


@router.get("/problems", response_model=list[Problem])
def find_problems(actor: CurrentActor, services: ServicesDep) -> Any:
    """Containers in trouble (crash loops, unhealthy, exited non-zero, never started), each
    with its likely cause and the fix the assistant can propose."""
    return read_result(services.gateway.call(actor, "find_problems", {}))


@router.get("/stats", response_model=StatsOverview)
def all_stats(
    actor: CurrentActor, services: ServicesDep, sort_by: Literal["cpu", "memory"] = "cpu"
) -> Any:
    """Every running container's CPU and memory, sampled concurrently, sorted, with totals."""
    return read_result(services.gateway.call(actor, "container_stats", {"sort_by": sort_by}))


@router.get("/system/disk", response_model=DiskUsage)
def disk_usage(actor: CurrentActor, services: ServicesDep) -> Any:
    """`docker system df`: images, containers, volumes, build cache, and what prune reclaims."""
    return read_result(services.gateway.call(actor, "disk_usage", {}))
