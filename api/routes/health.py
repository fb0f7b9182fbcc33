from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from api.deps import ServicesDep
from tools.engine import diagnose

router = APIRouter(tags=["health"])


@router.get("/health")
def health(services: ServicesDep) -> dict[str, Any]:
    """Engine reachability and version, or the reason it is not reachable and the fix.

    Answers 200 even when the engine is down: the API itself is up and says why."""
    diagnosis = diagnose(services.gateway.docker.engine)
    engine = {
        k: v for k, v in asdict(diagnosis).items() if k not in ("groups", "uid", "user", "socket")
    }
    return {
        "status": "ok" if diagnosis.reachable else "degraded",
        "engine": engine,
        "model": services.model_label,
    }
