"""Engine-wide read tools: networks, volumes, system info."""

from __future__ import annotations

from tools.catalogue import ToolContext, tool
from tools.guard.policy import Risk
from tools.plan import ActionPlan
from tools.schemas import (
    DiskUsage,
    DiskUsageInput,
    ListNetworksInput,
    ListVolumesInput,
    NetworkSummary,
    SystemInfo,
    SystemInfoInput,
    VolumeSummary,
)


@tool(Risk.READ, ListNetworksInput)
def list_networks(
    ctx: ToolContext, args: ListNetworksInput, plan: ActionPlan
) -> list[NetworkSummary]:
    """List Docker networks."""
    return ctx.docker.list_networks()


@tool(Risk.READ, ListVolumesInput)
def list_volumes(ctx: ToolContext, args: ListVolumesInput, plan: ActionPlan) -> list[VolumeSummary]:
    """List Docker volumes."""
    return ctx.docker.list_volumes()


@tool(Risk.READ, DiskUsageInput)
def disk_usage(ctx: ToolContext, args: DiskUsageInput, plan: ActionPlan) -> DiskUsage:
    """Disk used by images, containers, volumes and build cache (`docker system df`), and
    how much a prune would reclaim."""
    return ctx.docker.disk_usage()


@tool(Risk.READ, SystemInfoInput)
def system_info(ctx: ToolContext, args: SystemInfoInput, plan: ActionPlan) -> SystemInfo:
    """Engine version, OS, CPUs, memory, container and image counts, swarm state."""
    return ctx.docker.system_info()
