from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from api.deps import ServicesDep
from api.schemas import EngineHealthPublic, HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(services: ServicesDep) -> HealthPublic:
    """Engine reachability and version, or the reason it is not reachable and the fix.

    Answers 200 even when the engine is down: the API itself is up and says why."""
    gateway = services.gateway
    diagnosis = gateway.managers[gateway.default_host].diagnose()
    # The model names what is shown: not who the API runs as, its groups or socket details.
    engine = EngineHealthPublic.model_validate(asdict(diagnosis))
    status = "ok" if diagnosis.reachable else "degraded"
    return HealthPublic(status=status, engine=engine, model=services.model_label)
