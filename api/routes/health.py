from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(services: ServicesDep) -> dict[str, Any]:
    """Engine reachability and version, or the reason it is not reachable and the fix.

    Answers 200 even when the engine is down: the API itself is up and says why."""
    gateway = services.gateway
    diagnosis = gateway.managers[gateway.default_host].diagnose()
    engine = {
        k: v for k, v in asdict(diagnosis).items() if k not in ("groups", "uid", "user", "socket")
    }
    return {
        "status": "ok" if diagnosis.reachable else "degraded",
        "engine": engine,
        "model": services.model_label,
    }
