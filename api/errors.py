"""Translate the product's errors to HTTP: a stable `detail` and `code`, never a traceback.

The status comes from the code (`ErrorCode.status`), so every code a client can see has one."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tools import errors as e
from tools.errors import ErrorCode

log = logging.getLogger("dockerdeployer.api")

# The code an HTTPException (auth, routing, limits) answers with, by its status.
HTTP_CODES: dict[int, ErrorCode] = {
    code.status: code
    for code in (ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND,
                 ErrorCode.METHOD, ErrorCode.TOO_LARGE, ErrorCode.RATE_LIMITED)
}  # fmt: skip


def error_body(detail: str, code: ErrorCode) -> dict[str, str]:
    return {"detail": detail, "code": code.value}


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(e.DockerDeployerError)
    async def _domain(request: Request, exc: e.DockerDeployerError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, exc.code), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        code = ErrorCode.INVALID_REQUEST
        return JSONResponse(error_body(_readable(exc), code), status_code=code.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, ErrorCode.ERROR)
        return JSONResponse(
            error_body(exc.detail, code),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        code = ErrorCode.INTERNAL
        body = error_body("internal error; it has been logged", code)
        return JSONResponse(body, status_code=code.status)
