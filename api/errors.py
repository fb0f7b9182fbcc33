"""Translate the product's errors to HTTP: a stable `detail` and `code`, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools import errors as e

log = logging.getLogger("dockerdeployer.api")

STATUS_BY_CODE: dict[str, int] = {
    "invalid_arguments": 422,
    "not_found": 404,
    "container_not_found": 404,
    "image_not_found": 404,
    "approval_not_found": 404,
    "conflict": 409,
    "approval_already_decided": 409,
    "approval_target_changed": 409,
    "target_changed": 409,
    "approval_expired": 410,
    "denied": 403,
    "unknown_tool": 403,
    "approval_forbidden": 403,
    "thread_forbidden": 403,
    "engine_unavailable": 503,
    "engine_permission_denied": 503,
    "engine_timeout": 504,
    "engine_error": 502,
    "model_unavailable": 503,
    "compose_unavailable": 503,
    "not_swarm_manager": 409,
    "service_not_found": 404,
    "update_rolled_back": 409,
}


def status_for(code: str | None) -> int:
    return STATUS_BY_CODE.get(code or "", 400)


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(e.DockerDeployerError)
    async def _domain(request: Request, exc: e.DockerDeployerError) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.message, "code": exc.code}, status_code=status_for(exc.code)
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _readable(exc), "code": "invalid_request"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method",
                413: "too_large", 429: "rate_limited"}.get(exc.status_code, "error")  # fmt: skip
        return JSONResponse(
            {"detail": exc.detail, "code": code},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": "internal error; it has been logged", "code": "internal"}, status_code=500
        )
